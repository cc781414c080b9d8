package dev.osprey.trainer.loop;

/**
 * The few distributions the gate and the rollback watch test against: exact binomial tails
 * (summed in log space, so n in the tens of thousands neither overflows nor underflows) and the
 * standard normal CDF.
 */
public final class Significance {
  private static final int TABLE = 1024;
  private static final double[] LOG_FACTORIAL = new double[TABLE];

  static {
    for (int i = 1; i < TABLE; i++) {
      LOG_FACTORIAL[i] = LOG_FACTORIAL[i - 1] + Math.log(i);
    }
  }

  private Significance() {}

  /** ln(n!), exact by table below 1024, else Stirling's series (error below 1e-15 relative there). */
  static double logFactorial(int n) {
    if (n < TABLE) {
      return LOG_FACTORIAL[n];
    }
    double x = n;
    double inv = 1 / x;
    double inv2 = inv * inv;
    return x * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI * x)
        + inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 / 1260));
  }

  private static double logPmf(int n, int k, double logP, double logQ) {
    return logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * logP + (n - k) * logQ;
  }

  /**
   * P(X >= k) for X ~ Binomial(n, p).
   *
   * @throws IllegalArgumentException if n < 0 or p is outside [0, 1]
   */
  public static double binomialUpperTail(int n, int k, double p) {
    return binomialRange(n, Math.max(k, 0), n, p);
  }

  /**
   * P(X <= k) for X ~ Binomial(n, p).
   *
   * @throws IllegalArgumentException if n < 0 or p is outside [0, 1]
   */
  public static double binomialLowerTail(int n, int k, double p) {
    return binomialRange(n, 0, Math.min(k, n), p);
  }

  /** P(from <= X <= to). */
  private static double binomialRange(int n, int from, int to, double p) {
    if (n < 0 || !(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("binomial needs n >= 0 and p in [0, 1], got n=" + n + ", p=" + p);
    }
    if (from > to) {
      return 0;
    }
    if (p == 0 || p == 1) {
      int certain = p == 0 ? 0 : n;
      return certain >= from && certain <= to ? 1 : 0;
    }
    double logP = Math.log(p);
    double logQ = Math.log1p(-p);
    double max = Double.NEGATIVE_INFINITY;
    for (int j = from; j <= to; j++) {
      max = Math.max(max, logPmf(n, j, logP, logQ));
    }
    double sum = 0;
    for (int j = from; j <= to; j++) {
      sum += Math.exp(logPmf(n, j, logP, logQ) - max);
    }
    return Math.min(1, Math.exp(max) * sum);
  }

  /**
   * Phi(z), the standard normal CDF, through the complementary error function's Chebyshev fit
   * (Numerical Recipes' {@code erfcc}: fractional error below 1.2e-7 everywhere), ample for a
   * significance guard.
   */
  public static double normalCdf(double z) {
    double x = -z / Math.sqrt(2);
    double t = 1 / (1 + 0.5 * Math.abs(x));
    double erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277)))))))));
    return 0.5 * (x >= 0 ? erfc : 2 - erfc);
  }
}
