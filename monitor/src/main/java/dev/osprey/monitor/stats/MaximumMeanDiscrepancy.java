package dev.osprey.monitor.stats;

import java.util.Arrays;

/**
 * Maximum mean discrepancy with the Gaussian RBF kernel {@code k(x, y) = exp(-|x - y|^2 / (2 σ^2))}:
 * the quadratic-time unbiased estimator (Gretton et al. 2012, eq. 3) and the median heuristic for
 * σ. The online detector uses {@link RandomFourierFeatures} instead, in linear time.
 */
public final class MaximumMeanDiscrepancy {
  private MaximumMeanDiscrepancy() {}

  /** {@code k(x, y)}. */
  public static double kernel(float[] x, float[] y, double sigma) {
    return Math.exp(-squaredDistance(x, y) / (2 * sigma * sigma));
  }

  /**
   * Unbiased MMD^2: mean k over distinct pairs within x, plus within y, minus twice the mean over
   * x-y pairs. May be slightly negative when the distributions are equal.
   *
   * @throws IllegalArgumentException if a sample has fewer than 2 rows
   */
  public static double unbiasedSquared(float[][] x, float[][] y, double sigma) {
    if (x.length < 2 || y.length < 2) {
      throw new IllegalArgumentException("each sample needs >= 2 rows, got " + x.length + ", " + y.length);
    }
    return withinMean(x, sigma) + withinMean(y, sigma) - 2 * crossMean(x, y, sigma);
  }

  private static double withinMean(float[][] x, double sigma) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      for (int j = i + 1; j < x.length; j++) {
        s += kernel(x[i], x[j], sigma);
      }
    }
    return 2 * s / ((double) x.length * (x.length - 1));
  }

  private static double crossMean(float[][] x, float[][] y, double sigma) {
    double s = 0;
    for (float[] a : x) {
      for (float[] b : y) {
        s += kernel(a, b, sigma);
      }
    }
    return s / ((double) x.length * y.length);
  }

  /**
   * The median pairwise Euclidean distance among (at most the first {@code maxRows}) rows: the
   * usual bandwidth choice. Never returns 0 (falls back to 1 when all rows coincide).
   */
  public static double medianHeuristic(float[][] rows, int maxRows) {
    int n = Math.min(rows.length, maxRows);
    if (n < 2) {
      throw new IllegalArgumentException("median heuristic needs >= 2 rows, got " + n);
    }
    double[] d = new double[n * (n - 1) / 2];
    int k = 0;
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        d[k++] = Math.sqrt(squaredDistance(rows[i], rows[j]));
      }
    }
    Arrays.sort(d);
    double median = d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
    return median > 0 ? median : 1;
  }

  static double squaredDistance(float[] x, float[] y) {
    if (x.length != y.length) {
      throw new IllegalArgumentException("rows differ in width: " + x.length + " vs " + y.length);
    }
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      double v = x[i] - y[i];
      s += v * v;
    }
    return s;
  }
}
