package dev.osprey.core.service;

import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;

/**
 * Work that runs on one thread around a Kafka consumer until stopped: {@link #stop()} clears the
 * running flag and wakes the consumer; an unexpected failure is kept as {@link #fatal()} (the
 * service then reports unhealthy) instead of being retried in a loop.
 */
public abstract class ClientThreadWork implements Runnable, AutoCloseable {
  private final Logger log;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile boolean began;
  private volatile Throwable fatal;

  protected ClientThreadWork(Logger log) {
    this.log = log;
  }

  /** The work; returns or throws when {@link #running()} turns false or it fails. */
  protected abstract void work() throws Exception;

  /** The consumer the work blocks on; {@link #stop()} wakes it. */
  protected abstract Consumer<?, ?> consumer();

  /** Closes the clients; runs on the work thread after {@link #work()} ended. */
  protected abstract void cleanup();

  /** Runs this work on a new daemon thread named {@code name}. */
  public final Thread startThread(String name) {
    Thread t = new Thread(this, name);
    t.setDaemon(true);
    began = true;
    t.start();
    return t;
  }

  @Override
  public final void run() {
    began = true;
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
  protected final void fail(Throwable e, String message) {
    if (running) {
      fatal = e;
      log.error(message, e);
    }
  }

  /** False once {@link #stop()} was called or the work ended. */
  protected final boolean running() {
    return running;
  }

  /** Running and not failed. */
  public final boolean isRunning() {
    return running && fatal == null;
  }

  /** What ended the work, or null. */
  public final Throwable fatal() {
    return fatal;
  }

  /** Stops the work and waits until its clients are closed (closes them here when it never ran). */
  public final void stop() throws InterruptedException {
    running = false;
    if (!began) {
      began = true;
      try {
        cleanup();
      } finally {
        stopped.countDown();
      }
      return;
    }
    consumer().wakeup();
    stopped.await();
  }

  /** {@link #stop()}, so the work closes in order with a service's other parts ({@link ShutdownOrder}). */
  @Override
  public final void close() throws InterruptedException {
    stop();
  }
}
