package dev.osprey.monitor.drift;

import java.util.SplittableRandom;

/** The last W category indices (predicted classes, confidence bins) and their counts. */
final class CategoryWindow {
  private final int[] ring;
  private final long[] counts;
  private int head;

  /** A window prefilled with W draws from the categories whose cumulative probabilities are {@code cum}. */
  CategoryWindow(int window, double[] cum, SplittableRandom rnd) {
    this.ring = new int[window];
    this.counts = new long[cum.length];
    for (int i = 0; i < window; i++) {
      ring[i] = Draws.category(cum, rnd);
      counts[ring[i]]++;
    }
  }

  /** Replaces the oldest entry with {@code category}. */
  void push(int category) {
    counts[ring[head]]--;
    ring[head] = category;
    counts[category]++;
    head = (head + 1) % ring.length;
  }

  /** Counts per category (live view; do not modify). */
  long[] counts() {
    return counts;
  }

  int size() {
    return ring.length;
  }
}
