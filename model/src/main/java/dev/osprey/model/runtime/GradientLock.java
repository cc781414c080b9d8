package dev.osprey.model.runtime;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The process-wide lock around PyTorch gradient collection. DJL's PyTorch engine allows one open
 * {@code GradientCollector} per process (a second one throws "A PtGradientCollector is already
 * collecting"), so every place that opens one holds this lock while it is open: the trainer's
 * steps and the explainers' gradients, which share a process in {@code osprey demo --scenario drift}.
 * A lock mirroring a native, process-wide constraint; it holds no engine.
 */
public final class GradientLock {
  private static final ReentrantLock LOCK = new ReentrantLock();

  private GradientLock() {}

  /** The lock: {@code lock()} before opening a collector, {@code unlock()} in a finally after closing it. */
  public static ReentrantLock get() {
    return LOCK;
  }
}
