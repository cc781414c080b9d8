package dev.osprey.core.service;

import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * Runs a service until the JVM shuts down (Ctrl-C, SIGTERM) or {@link #stop()}: starts it, tells
 * the caller it runs, waits, and closes it. A shutdown hook closes the service, so a stopped
 * process leaves no transaction open and no client unclosed. One runner runs one service.
 */
public final class ServiceRunner {
  private final CountDownLatch stopped = new CountDownLatch(1);

  /**
   * @param name names the shutdown hook's thread ({@code osprey-<name>-shutdown})
   * @param onRunning called once {@link OspreyService#start()} returned (print what runs where)
   * @throws ServiceStartException if the service cannot start (it is closed then)
   */
  public <S extends OspreyService> void run(S service, String name, Consumer<? super S> onRunning)
      throws ServiceStartException, InterruptedException {
    Thread hook = new Thread(() -> {
      service.close();
      stopped.countDown();
    }, "osprey-" + name + "-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      service.start();
      onRunning.accept(service);
      stopped.await();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook runs (or ran) and closes the service
      }
      service.close();
    }
  }

  /** Ends {@link #run} as the shutdown hook would (for embedding and tests). */
  public void stop() {
    stopped.countDown();
  }
}
