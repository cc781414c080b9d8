package dev.osprey.model.runtime;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.osprey.core.djl.DjlOfflineGuard;

/**
 * PyTorch's intra-op threads (the OpenMP team each operator splits its work over) for the calling
 * thread. libtorch keeps the count per OS thread (OpenMP's {@code nthreads-var}); a thread that has
 * not run an operator yet takes the process default, which this also sets. DJL reads the initial
 * count once, from {@code ai.djl.pytorch.num_threads}, when the engine loads; a service that shares
 * its host sets its own count here, on the thread that computes, whatever loaded the engine first.
 *
 * <p>Why it matters: an operator run by a team of N threads ends at a barrier that waits for all N.
 * With as many threads as cores and anything else runnable on the host (inference, the broker,
 * another process), one member is often descheduled and the rest wait for it at every operator: a
 * training step of a few milliseconds took 0.15 to 2 s on two shared cores (docs/benchmarks.md §10).
 */
public final class TorchThreads {
  private TorchThreads() {}

  /**
   * Sets the calling thread's (and the process default) intra-op thread count.
   *
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public static void use(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    DjlOfflineGuard.requireActive();
    Engine.getEngine(DjlNetwork.ENGINE); // loads libtorch if nothing has yet
    JniUtils.setNumThreads(threads);
  }

  /** The calling thread's intra-op thread count. */
  public static int current() {
    DjlOfflineGuard.requireActive();
    Engine.getEngine(DjlNetwork.ENGINE);
    return JniUtils.getNumThreads();
  }
}
