package dev.osprey.model.serving;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model currently served. {@link #acquire()} hands out a retained model (a batch runs on
 * exactly one version and the model cannot be closed under it); {@link #swap} replaces the model
 * atomically and drops the holder's reference to the old one, which closes when its last batch
 * releases it. Thread-safe.
 */
public final class ModelHolder implements AutoCloseable {
  private final AtomicReference<LoadedModel> current = new AtomicReference<>();
  private final Object changed = new Object();

  /** The current model, retained (call {@link LoadedModel#release()}), or null when none is loaded. */
  public LoadedModel acquire() {
    while (true) {
      LoadedModel m = current.get();
      if (m == null || m.tryRetain()) {
        return m;
      }
      // m was swapped out and closed between get() and tryRetain(): current already holds its successor
    }
  }

  /** The current model without retaining it: for reading its manifest, never for predicting. */
  public LoadedModel peek() {
    return current.get();
  }

  /** Makes {@code next} current; the previous model closes once no batch uses it. */
  public void swap(LoadedModel next) {
    LoadedModel previous = current.getAndSet(next);
    synchronized (changed) {
      changed.notifyAll();
    }
    if (previous != null) {
      previous.release();
    }
  }

  /** Waits until a model is loaded or the timeout passes; true when one is loaded. */
  public boolean awaitModel(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (changed) {
      while (current.get() == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }

  /** Drops the current model (it closes once idle). */
  @Override
  public void close() {
    swap(null);
  }
}
