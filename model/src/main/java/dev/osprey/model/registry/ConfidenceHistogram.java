package dev.osprey.model.registry;

import java.util.Arrays;

/**
 * Counts of top-class probabilities in bins {@code [edges[i], edges[i+1])}, the last bin closed.
 *
 * @param edges strictly increasing bin edges, length = bins + 1
 * @param counts samples per bin
 */
public record ConfidenceHistogram(double[] edges, long[] counts) {

  /** @throws IllegalArgumentException when the edges are not increasing or counts do not fit them */
  public ConfidenceHistogram {
    if (edges == null || edges.length < 2) {
      throw new IllegalArgumentException("edges must hold at least 2 values, got " + Arrays.toString(edges));
    }
    for (int i = 1; i < edges.length; i++) {
      if (!(edges[i] > edges[i - 1])) {
        throw new IllegalArgumentException("edges must be strictly increasing, got " + Arrays.toString(edges));
      }
    }
    if (counts == null || counts.length != edges.length - 1) {
      throw new IllegalArgumentException(
          "counts must have edges.length - 1 = " + (edges.length - 1) + " values, got "
              + (counts == null ? "null" : counts.length));
    }
    for (long c : counts) {
      if (c < 0) {
        throw new IllegalArgumentException("counts must be >= 0, got " + Arrays.toString(counts));
      }
    }
    edges = edges.clone();
    counts = counts.clone();
  }

  /** A histogram of {@code values} over {@code bins} equal bins on [0, 1]. */
  public static ConfidenceHistogram ofUnitInterval(double[] values, int bins) {
    if (bins < 1) {
      throw new IllegalArgumentException("bins must be >= 1, got " + bins);
    }
    double[] edges = new double[bins + 1];
    for (int i = 0; i <= bins; i++) {
      edges[i] = (double) i / bins;
    }
    long[] counts = new long[bins];
    for (double v : values) {
      if (!(v >= 0 && v <= 1)) {
        throw new IllegalArgumentException("confidence must lie in [0, 1], got " + v);
      }
      counts[Math.min(bins - 1, (int) (v * bins))]++;
    }
    return new ConfidenceHistogram(edges, counts);
  }

  @Override
  public double[] edges() {
    return edges.clone();
  }

  @Override
  public long[] counts() {
    return counts.clone();
  }

  public long total() {
    return Arrays.stream(counts).sum();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConfidenceHistogram h && Arrays.equals(edges, h.edges) && Arrays.equals(counts, h.counts);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(edges) + Arrays.hashCode(counts);
  }

  @Override
  public String toString() {
    return "ConfidenceHistogram[edges=" + Arrays.toString(edges) + ", counts=" + Arrays.toString(counts) + "]";
  }
}
