package dev.osprey.monitor.stats;

import java.util.Arrays;

/**
 * Two-sample Kolmogorov-Smirnov test: {@code D = sup_x |F_a(x) - F_b(x)|} of the two empirical
 * CDFs (right-continuous, so ties are handled exactly), with an exact p-value for small samples
 * (lattice-path count, Hodges 1957) and the asymptotic Kolmogorov distribution otherwise.
 */
public final class KolmogorovSmirnov {
  /** Above this n * m the p-value uses the asymptotic distribution. */
  public static final long EXACT_LIMIT = 10_000;

  private KolmogorovSmirnov() {}

  /** The two-sample statistic D. */
  public static double statistic(double[] a, double[] b) {
    if (a.length == 0 || b.length == 0) {
      throw new IllegalArgumentException("both samples must be non-empty");
    }
    double[] x = a.clone();
    double[] y = b.clone();
    Arrays.sort(x);
    Arrays.sort(y);
    int i = 0;
    int j = 0;
    double d = 0;
    while (i < x.length && j < y.length) {
      double v = Math.min(x[i], y[j]);
      // step past every copy of v in both samples before comparing (ties)
      while (i < x.length && x[i] == v) {
        i++;
      }
      while (j < y.length && y[j] == v) {
        j++;
      }
      d = Math.max(d, Math.abs((double) i / x.length - (double) j / y.length));
    }
    return d;
  }

  /**
   * {@code P(D >= d)} for samples of sizes n and m when both come from one continuous distribution.
   *
   * @throws IllegalArgumentException if a size is < 1 or d is outside [0, 1]
   */
  public static double pValue(double d, int n, int m) {
    if (n < 1 || m < 1) {
      throw new IllegalArgumentException("sample sizes must be >= 1, got " + n + ", " + m);
    }
    if (!(d >= 0 && d <= 1)) {
      throw new IllegalArgumentException("d must lie in [0, 1], got " + d);
    }
    if ((long) n * m <= EXACT_LIMIT) {
      return exactPValue(d, n, m);
    }
    double en = Math.sqrt((double) n * m / (n + m));
    // Stephens' small-sample correction of the argument (Numerical Recipes 14.3)
    return kolmogorovQ((en + 0.12 + 0.11 / en) * d);
  }

  /**
   * {@code Q(λ) = 2 Σ_{k>=1} (-1)^{k-1} exp(-2 k^2 λ^2)}: the limiting upper tail of
   * {@code sqrt(nm/(n+m)) D}.
   */
  public static double kolmogorovQ(double lambda) {
    if (lambda <= 0) {
      return 1;
    }
    if (lambda < 1.18) {
      // the other theta-function form converges fast for small λ: P = sqrt(2π)/λ Σ exp(-(2k-1)^2 π^2 / (8 λ^2))
      double y = Math.exp(-Math.PI * Math.PI / (8 * lambda * lambda));
      double p = 0;
      for (int k = 1; k <= 10; k++) {
        p += Math.pow(y, (2 * k - 1) * (2 * k - 1));
      }
      return Math.max(0, 1 - Math.sqrt(2 * Math.PI) / lambda * p);
    }
    double q = 0;
    for (int k = 1; k <= 100; k++) {
      double term = Math.exp(-2.0 * k * k * lambda * lambda);
      q += (k % 2 == 1 ? term : -term);
      if (term < 1e-17) {
        break;
      }
    }
    return Math.min(1, Math.max(0, 2 * q));
  }

  /**
   * Exact two-sided p-value: the fraction of the C(n+m, n) equally likely merge orders whose
   * path leaves the band {@code |i/n - j/m| < d}. Weights are kept as probabilities (each step
   * multiplies by i/(i+j) or j/(i+j)) so nothing overflows.
   */
  static double exactPValue(double d, int n, int m) {
    long nm = (long) n * m;
    // |i m - j n| is an integer; the tolerance absorbs d's floating-point rounding
    double limit = d * nm - 1e-9 * nm;
    double[] w = new double[m + 1];
    for (int i = 0; i <= n; i++) {
      for (int j = 0; j <= m; j++) {
        if (i == 0 && j == 0) {
          w[0] = 1;
          continue;
        }
        boolean outside = Math.abs((long) i * m - (long) j * n) >= limit;
        if (outside) {
          w[j] = 0;
          continue;
        }
        double fromLeft = i > 0 ? w[j] * i / (i + j) : 0;
        double fromBelow = j > 0 ? w[j - 1] * j / (i + j) : 0;
        w[j] = fromLeft + fromBelow;
      }
    }
    return Math.min(1, Math.max(0, 1 - w[m]));
  }
}
