package dev.osprey.explain.sanity;

import java.util.Arrays;
import java.util.Comparator;

/** Spearman's rank correlation with average ranks for ties. */
public final class RankCorrelation {
  private RankCorrelation() {}

  /**
   * Spearman's rho of {@code a} and {@code b}. A constant vector carries no ranking, so it
   * cannot agree with anything: its correlation is defined here as 0.
   *
   * @throws IllegalArgumentException if the lengths differ
   */
  public static double spearman(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException(a.length + " vs " + b.length + " values");
    }
    double[] ra = ranks(a);
    double[] rb = ranks(b);
    double mean = (a.length + 1) / 2.0;
    double cov = 0;
    double va = 0;
    double vb = 0;
    for (int i = 0; i < a.length; i++) {
      double da = ra[i] - mean;
      double db = rb[i] - mean;
      cov += da * db;
      va += da * da;
      vb += db * db;
    }
    return va == 0 || vb == 0 ? 0 : cov / Math.sqrt(va * vb);
  }

  /** Spearman's rho of |a| and |b| (Adebayo et al. compare absolute maps). */
  public static double spearmanOfAbsolute(float[] a, float[] b) {
    return spearman(abs(a), abs(b));
  }

  static double[] ranks(float[] v) {
    Integer[] order = new Integer[v.length];
    for (int i = 0; i < v.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> v[i]));
    double[] r = new double[v.length];
    int i = 0;
    while (i < v.length) {
      int j = i;
      while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) {
        j++;
      }
      double avg = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        r[order[k]] = avg;
      }
      i = j + 1;
    }
    return r;
  }

  private static float[] abs(float[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.abs(v[i]);
    }
    return out;
  }
}
