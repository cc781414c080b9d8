package dev.osprey.inference;

import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;

/**
 * Work that runs on one thread around a Kafka consumer until stopped: {@link #stop()} clears the
 * running flag and wakes the consumer; an unexpected failure is kept as {@link #fatal()} (the
 * service then reports unhealthy) instead of being retried in a loop.
 */
abstract class ClientThreadWork implements Runnable {
  private final Logger log;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile Throwable fatal;

  ClientThreadWork(Logger log) {
    this.log = log;
  }

  /** The work; returns or throws when {@link #running()} turns false or it fails. */
  abstract void work() throws Exception;

  /** The consumer the work blocks on; {@link #stop()} wakes it. */
  abstract Consumer<?, ?> consumer();

  /** Closes the clients; runs on the work thread after {@link #work()} ended. */
  abstract void cleanup();

  @Override
  public final void run() {
    try {
      work();
    } catch (WakeupException e) {
      // stop() was called
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception | Error e) {
      fail(e, "stopped");
    } finally {
      running = false;
      try {
        cleanup();
      } finally {
        stopped.countDown();
      }
    }
  }

  /** Records a failure that ends the work (ignored when it is the consequence of stop()). */
  final void fail(Throwable e, String message) {
    if (running) {
      fatal = e;
      log.error(message, e);
    }
  }

  final boolean running() {
    return running;
  }

  final boolean isRunning() {
    return running && fatal == null;
  }

  final Throwable fatal() {
    return fatal;
  }

  /** Stops the work and waits until its clients are closed. */
  final void stop() throws InterruptedException {
    running = false;
    consumer().wakeup();
    stopped.await();
  }
}
