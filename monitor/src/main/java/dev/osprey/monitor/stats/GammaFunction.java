package dev.osprey.monitor.stats;

/**
 * Log-gamma and the regularized incomplete gamma functions, enough for chi-squared p-values.
 * Series and continued fraction as in Numerical Recipes (3rd ed., 6.2); Lanczos log-gamma (g = 7).
 */
public final class GammaFunction {
  private static final double[] LANCZOS = {
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7
  };
  private static final double EPS = 1e-15;
  private static final int MAX_ITERATIONS = 10_000;

  private GammaFunction() {}

  /** ln Γ(x) for x > 0. */
  public static double lnGamma(double x) {
    if (!(x > 0)) {
      throw new IllegalArgumentException("lnGamma needs x > 0, got " + x);
    }
    if (x < 0.5) {
      // reflection: Γ(x) Γ(1-x) = π / sin(πx)
      return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
    }
    double z = x - 1;
    double a = LANCZOS[0];
    double t = z + 7.5;
    for (int i = 1; i < LANCZOS.length; i++) {
      a += LANCZOS[i] / (z + i);
    }
    return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
  }

  /** Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a), a > 0, x >= 0. */
  public static double regularizedP(double a, double x) {
    check(a, x);
    if (x == 0) {
      return 0;
    }
    return x < a + 1 ? series(a, x) : 1 - continuedFraction(a, x);
  }

  /** Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x), computed directly in its tail. */
  public static double regularizedQ(double a, double x) {
    check(a, x);
    if (x == 0) {
      return 1;
    }
    return x < a + 1 ? 1 - series(a, x) : continuedFraction(a, x);
  }

  private static void check(double a, double x) {
    if (!(a > 0) || !(x >= 0)) {
      throw new IllegalArgumentException("incomplete gamma needs a > 0 and x >= 0, got a=" + a + ", x=" + x);
    }
  }

  private static double series(double a, double x) {
    double ap = a;
    double sum = 1 / a;
    double del = sum;
    for (int n = 0; n < MAX_ITERATIONS; n++) {
      ap++;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) {
        break;
      }
    }
    return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
  }

  // Modified Lentz evaluation of the continued fraction for Q(a, x).
  private static double continuedFraction(double a, double x) {
    double tiny = 1e-300;
    double b = x + 1 - a;
    double c = 1 / tiny;
    double d = 1 / b;
    double h = d;
    for (int i = 1; i < MAX_ITERATIONS; i++) {
      double an = -i * (i - a);
      b += 2;
      d = an * d + b;
      if (Math.abs(d) < tiny) {
        d = tiny;
      }
      c = b + an / c;
      if (Math.abs(c) < tiny) {
        c = tiny;
      }
      d = 1 / d;
      double del = d * c;
      h *= del;
      if (Math.abs(del - 1) < EPS) {
        break;
      }
    }
    return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
  }
}
