package dev.osprey.trainer.loop;

/**
 * The last {@code capacity} right/wrong results of one model version: online accuracy over a
 * sliding window of labeled outcomes, in O(1) per outcome.
 */
public final class OutcomeWindow {
  private final boolean[] ring;
  private int next;
  private int count;
  private int correct;

  /** @throws IllegalArgumentException if capacity < 1 */
  public OutcomeWindow(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    ring = new boolean[capacity];
  }

  public void add(boolean isCorrect) {
    if (count == ring.length) {
      correct -= ring[next] ? 1 : 0;
    } else {
      count++;
    }
    ring[next] = isCorrect;
    correct += isCorrect ? 1 : 0;
    next = (next + 1) % ring.length;
  }

  public int capacity() {
    return ring.length;
  }

  /** Outcomes held (at most the capacity). */
  public int count() {
    return count;
  }

  /** Correct outcomes held. */
  public int correct() {
    return correct;
  }

  public boolean isFull() {
    return count == ring.length;
  }

  /** Share of correct outcomes held; NaN when empty. */
  public double accuracy() {
    return count == 0 ? Double.NaN : (double) correct / count;
  }

  public void clear() {
    next = 0;
    count = 0;
    correct = 0;
  }
}
