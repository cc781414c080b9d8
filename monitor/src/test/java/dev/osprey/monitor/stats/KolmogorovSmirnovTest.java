package dev.osprey.monitor.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Known values computed with SciPy 1.17 ({@code ks_2samp}, {@code special.kolmogorov}). */
class KolmogorovSmirnovTest {
  static final double[] A = {0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64,
      -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47};
  static final double[] B = {2.2, 1.66, 1.38, 0.2, 0.36, 0, 0.96, 1.56, 0.44, 1.5, -0.3, 0.66, 2.31, 3.29, -0.27,
      -0.37, 0.38, 0.7, 0.52, -0.12};

  @Test
  void statisticAndExactPValueMatchScipy() {
    double d = KolmogorovSmirnov.statistic(A, B);
    assertEquals(0.28, d, 1e-12);
    assertEquals(0.2933789985549772, KolmogorovSmirnov.pValue(d, A.length, B.length), 1e-9);
  }

  @Test
  void disjointSamplesHaveTheLatticeCountPValue() {
    double[] a = {1, 2, 3, 4, 5};
    double[] b = {6, 7, 8, 9, 10};
    assertEquals(1.0, KolmogorovSmirnov.statistic(a, b));
    // 2 of the C(10, 5) = 252 merge orders reach D = 1
    assertEquals(2.0 / 252, KolmogorovSmirnov.pValue(1.0, 5, 5), 1e-12);
    assertEquals(2.0 / 20, KolmogorovSmirnov.pValue(1.0, 3, 3), 1e-12);
  }

  @Test
  void tiesAreStepsOfBothEcdfs() {
    double[] a = {1, 2, 2, 3, 3, 3};
    double[] b = {2, 3, 4, 4, 5};
    assertEquals(0.6, KolmogorovSmirnov.statistic(a, b), 1e-12);
    assertEquals(0.23809523809523814, KolmogorovSmirnov.pValue(0.6, 6, 5), 1e-9);
    assertEquals(0.0, KolmogorovSmirnov.statistic(a, a));
  }

  @Test
  void kolmogorovDistributionMatchesTabulatedValues() {
    assertEquals(0.26999967167735456, KolmogorovSmirnov.kolmogorovQ(1.0), 1e-9);
    assertEquals(0.9639452436648751, KolmogorovSmirnov.kolmogorovQ(0.5), 1e-9);
    assertEquals(0.049485876755377876, KolmogorovSmirnov.kolmogorovQ(1.36), 1e-9);
    assertEquals(0.0006709252557796953, KolmogorovSmirnov.kolmogorovQ(2.0), 1e-12);
    assertEquals(1.0, KolmogorovSmirnov.kolmogorovQ(0));
  }

  @Test
  void asymptoticPValueIsCloseToExactForLargeSamples() {
    Random rnd = new Random(3);
    double[] x = new double[200];
    double[] y = new double[150];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextGaussian();
    }
    for (int i = 0; i < y.length; i++) {
      y[i] = rnd.nextGaussian() + 0.2;
    }
    double d = KolmogorovSmirnov.statistic(x, y);
    double asymptotic = KolmogorovSmirnov.pValue(d, 200, 150);
    double exact = KolmogorovSmirnov.exactPValue(d, 200, 150);
    assertEquals(exact, asymptotic, 0.01);
  }

  @Test
  void rejectsEmptySamplesAndBadD() {
    assertThrows(IllegalArgumentException.class, () -> KolmogorovSmirnov.statistic(new double[0], A));
    assertThrows(IllegalArgumentException.class, () -> KolmogorovSmirnov.pValue(1.5, 3, 3));
  }
}
