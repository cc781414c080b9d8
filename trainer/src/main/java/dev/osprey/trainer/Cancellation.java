package dev.osprey.trainer;

import java.util.concurrent.CancellationException;

/**
 * Asks a training in progress to stop. {@link ClassifierTrainer} checks it between batches (and
 * between a recipe's stages), so a stop takes effect within one batch; the training then throws
 * {@link CancellationException} and leaves nothing behind for the caller to publish. A thread
 * interrupt cannot do this: libraries on the training path clear the interrupt flag.
 */
@FunctionalInterface
public interface Cancellation {
  /** Never asks to stop. */
  Cancellation NEVER = () -> false;

  /** Whether the training should stop now. */
  boolean requested();

  /**
   * @param where what is about to run, for the exception's message
   * @throws CancellationException if {@link #requested()}
   */
  default void check(String where) {
    if (requested()) {
      throw new CancellationException("training cancelled before " + where);
    }
  }
}
