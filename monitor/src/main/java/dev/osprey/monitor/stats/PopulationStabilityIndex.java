package dev.osprey.monitor.stats;

/**
 * Population stability index {@code sum_c (q_c - p_c) ln(q_c / p_c)} of an observed distribution
 * q against a reference p (a symmetrised KL divergence). Both are floored at {@code epsilon} so an
 * empty class does not make it infinite. Rule of thumb: below 0.1 stable, above 0.25 shifted.
 */
public final class PopulationStabilityIndex {
  /** Floor applied to both distributions. */
  public static final double DEFAULT_EPSILON = 1e-4;

  private PopulationStabilityIndex() {}

  /** PSI of {@code observed} counts against reference probabilities {@code expected}. */
  public static double of(long[] observed, double[] expected, double epsilon) {
    if (observed.length != expected.length) {
      throw new IllegalArgumentException(
          "observed has " + observed.length + " classes, expected " + expected.length);
    }
    long n = 0;
    for (long o : observed) {
      n += o;
    }
    if (n == 0) {
      throw new IllegalArgumentException("observed counts are all zero");
    }
    double psi = 0;
    for (int c = 0; c < observed.length; c++) {
      double q = Math.max(epsilon, (double) observed[c] / n);
      double p = Math.max(epsilon, expected[c]);
      psi += (q - p) * Math.log(q / p);
    }
    return psi;
  }
}
