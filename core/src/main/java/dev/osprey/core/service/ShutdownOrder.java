package dev.osprey.core.service;

import org.slf4j.Logger;

/**
 * Closes a service's parts in the order given (HTTP first, then the work that uses the model,
 * then the model and the clients), each one even when one before it failed or the closing thread
 * was interrupted, so {@link OspreyService#close()} never leaves a client open and never throws.
 */
public final class ShutdownOrder {
  private ShutdownOrder() {
  }

  /**
   * @param parts closed in this order; a null part (never started) is skipped
   */
  public static void close(Logger log, AutoCloseable... parts) {
    boolean interrupted = false;
    for (AutoCloseable part : parts) {
      if (part == null) {
        continue;
      }
      try {
        part.close();
      } catch (InterruptedException e) {
        // keep closing the rest: a part left open would hold a transaction or a native session
        interrupted = true;
      } catch (Exception e) {
        log.warn("closing {} failed: {}", part, e.toString());
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
