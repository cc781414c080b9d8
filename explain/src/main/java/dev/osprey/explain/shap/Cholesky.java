package dev.osprey.explain.shap;

/**
 * Solves {@code A x = b} for a small symmetric positive-definite A (KernelSHAP's normal
 * equations, at most 62 x 62) by Cholesky factorization, in double precision. If A is only
 * semi-definite (too few distinct coalitions for the number of features), a ridge of
 * {@code 1e-10 * trace / n} is added, doubling until the factorization succeeds.
 */
final class Cholesky {
  private Cholesky() {}

  static double[] solve(double[][] a, double[] b) {
    int n = b.length;
    double trace = 0;
    for (int i = 0; i < n; i++) {
      trace += a[i][i];
    }
    double ridge = 0;
    double step = Math.max(1e-300, 1e-10 * trace / Math.max(1, n));
    for (int attempt = 0; attempt < 200; attempt++) {
      double[][] l = factor(a, ridge);
      if (l != null) {
        return substitute(l, b);
      }
      ridge = ridge == 0 ? step : ridge * 2;
    }
    throw new IllegalStateException("matrix is not positive definite even with a ridge of " + ridge);
  }

  private static double[][] factor(double[][] a, double ridge) {
    int n = a.length;
    double[][] l = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = a[i][j] + (i == j ? ridge : 0);
        for (int k = 0; k < j; k++) {
          s -= l[i][k] * l[j][k];
        }
        if (i == j) {
          if (!(s > 0)) {
            return null;
          }
          l[i][i] = Math.sqrt(s);
        } else {
          l[i][j] = s / l[j][j];
        }
      }
    }
    return l;
  }

  private static double[] substitute(double[][] l, double[] b) {
    int n = b.length;
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double s = b[i];
      for (int k = 0; k < i; k++) {
        s -= l[i][k] * y[k];
      }
      y[i] = s / l[i][i];
    }
    double[] x = new double[n];
    for (int i = n - 1; i >= 0; i--) {
      double s = y[i];
      for (int k = i + 1; k < n; k++) {
        s -= l[k][i] * x[k];
      }
      x[i] = s / l[i][i];
    }
    return x;
  }
}
