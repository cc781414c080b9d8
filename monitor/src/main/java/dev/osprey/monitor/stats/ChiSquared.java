package dev.osprey.monitor.stats;

/** Pearson's chi-squared goodness of fit of observed counts against expected probabilities. */
public final class ChiSquared {
  private ChiSquared() {}

  /**
   * {@code sum_c (o_c - n p_c)^2 / (n p_c)} with {@code n = sum o}. Classes with {@code p_c = 0}
   * must have no observations.
   *
   * @throws IllegalArgumentException if the lengths differ, a count is negative or an observed
   *     class has zero expected probability
   */
  public static double statistic(long[] observed, double[] expected) {
    if (observed.length != expected.length) {
      throw new IllegalArgumentException(
          "observed has " + observed.length + " classes, expected " + expected.length);
    }
    long n = 0;
    for (long o : observed) {
      if (o < 0) {
        throw new IllegalArgumentException("counts must be >= 0");
      }
      n += o;
    }
    double x = 0;
    for (int c = 0; c < observed.length; c++) {
      double e = n * expected[c];
      if (e <= 0) {
        if (observed[c] > 0) {
          throw new IllegalArgumentException("class " + c + " was observed but has expected probability 0");
        }
        continue;
      }
      double d = observed[c] - e;
      x += d * d / e;
    }
    return x;
  }

  /** Upper tail {@code P(X >= x)} of the chi-squared distribution with {@code df} degrees of freedom. */
  public static double pValue(double x, double df) {
    if (!(df > 0)) {
      throw new IllegalArgumentException("df must be > 0, got " + df);
    }
    return x <= 0 ? 1 : GammaFunction.regularizedQ(df / 2, x / 2);
  }
}
