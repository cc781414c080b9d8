package dev.osprey.monitor.stats;

import java.util.Arrays;

/**
 * A segment tree over {@code size} values supporting "add v to every value from index k on" and
 * the global maximum and minimum, each in O(log size). Adds stay at the nodes that cover a range
 * (no push-down), because only the root's extremes are ever read.
 */
final class RangeAddTree {
  private final int size;
  private final int leaves;
  private final double[] add;
  private final double[] max;
  private final double[] min;

  /** A tree holding {@code initial} (copied). */
  RangeAddTree(double[] initial) {
    this.size = initial.length;
    int l = 1;
    while (l < size) {
      l <<= 1;
    }
    this.leaves = l;
    this.add = new double[2 * l];
    this.max = new double[2 * l];
    this.min = new double[2 * l];
    Arrays.fill(max, l, 2 * l, Double.NEGATIVE_INFINITY);
    Arrays.fill(min, l, 2 * l, Double.POSITIVE_INFINITY);
    for (int i = 0; i < size; i++) {
      max[l + i] = initial[i];
      min[l + i] = initial[i];
    }
    for (int node = l - 1; node >= 1; node--) {
      pull(node);
    }
  }

  /** Adds {@code v} to the values at indices {@code from..size-1}. */
  void addSuffix(int from, double v) {
    if (from >= size) {
      return;
    }
    int lo = from + leaves;
    int hi = size - 1 + leaves;
    int l = lo;
    int r = hi + 1;
    while (l < r) {
      if ((l & 1) == 1) {
        apply(l++, v);
      }
      if ((r & 1) == 1) {
        apply(--r, v);
      }
      l >>= 1;
      r >>= 1;
    }
    for (int node = lo >> 1; node >= 1; node >>= 1) {
      pull(node);
    }
    for (int node = hi >> 1; node >= 1; node >>= 1) {
      pull(node);
    }
  }

  double max() {
    return max[1];
  }

  double min() {
    return min[1];
  }

  private void apply(int node, double v) {
    add[node] += v;
    max[node] += v;
    min[node] += v;
  }

  private void pull(int node) {
    max[node] = Math.max(max[2 * node], max[2 * node + 1]) + add[node];
    min[node] = Math.min(min[2 * node], min[2 * node + 1]) + add[node];
  }
}
