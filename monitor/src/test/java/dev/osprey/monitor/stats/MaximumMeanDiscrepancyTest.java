package dev.osprey.monitor.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MaximumMeanDiscrepancyTest {
  private static final int DIM = 4;
  private static final double SIGMA = 2.0;

  /**
   * Closed form for X ~ N(μ1, I), Y ~ N(μ2, I) and the RBF kernel of bandwidth σ:
   * {@code MMD^2 = 2 c (1 - exp(-|Δ|^2 / (2 (σ^2 + 2))))}, {@code c = (σ^2 / (σ^2 + 2))^{d/2}}.
   */
  static double closedForm(double shift) {
    double s2 = SIGMA * SIGMA;
    double c = Math.pow(s2 / (s2 + 2), DIM / 2.0);
    return 2 * c * (1 - Math.exp(-shift * shift / (2 * (s2 + 2))));
  }

  static float[][] gaussian(int n, double shift, long seed) {
    Random rnd = new Random(seed);
    float[][] x = new float[n][DIM];
    for (float[] row : x) {
      for (int i = 0; i < DIM; i++) {
        row[i] = (float) (rnd.nextGaussian() + (i == 0 ? shift : 0));
      }
    }
    return x;
  }

  @Test
  void unbiasedEstimatorMatchesTheClosedForm() {
    float[][] x = gaussian(800, 0, 1);
    assertEquals(0.0, MaximumMeanDiscrepancy.unbiasedSquared(x, gaussian(800, 0, 2), SIGMA), 0.004);
    for (double shift : new double[] {0.5, 1.0, 2.0}) {
      double expected = closedForm(shift);
      double mmd = MaximumMeanDiscrepancy.unbiasedSquared(x, gaussian(800, shift, 3), SIGMA);
      // the estimator's standard deviation at n = 800 is about 0.007 (shift 1)
      assertEquals(expected, mmd, 0.1 * expected + 0.02, "shift " + shift);
    }
  }

  @Test
  void randomFeaturesApproximateTheKernelAndTheMmd() {
    RandomFourierFeatures rff = new RandomFourierFeatures(DIM, 2048, SIGMA, 7);
    float[][] x = gaussian(50, 0, 4);
    double maxErr = 0;
    for (int i = 0; i < 10; i++) {
      double approx = dot(rff.map(x[i]), rff.map(x[i + 10]));
      maxErr = Math.max(maxErr, Math.abs(approx - MaximumMeanDiscrepancy.kernel(x[i], x[i + 10], SIGMA)));
    }
    assertTrue(maxErr < 0.08, "kernel approximation error " + maxErr);
    double shift = 1.0;
    double linear = meanEmbeddingDistance(rff, gaussian(3000, 0, 5), gaussian(3000, shift, 6));
    assertEquals(closedForm(shift), linear, 0.15 * closedForm(shift));
    double same = meanEmbeddingDistance(rff, gaussian(3000, 0, 5), gaussian(3000, 0, 6));
    assertTrue(same < 0.1 * closedForm(shift), "same-distribution estimate " + same);
  }

  @Test
  void medianHeuristicOfAStandardGaussianIsNearSqrtTwiceDim() {
    // |X - X'|^2 ~ 2 chi^2_d, median of chi^2_4 = 3.357
    double sigma = MaximumMeanDiscrepancy.medianHeuristic(gaussian(600, 0, 8), 600);
    assertEquals(Math.sqrt(2 * 3.357), sigma, 0.1);
  }

  private static double meanEmbeddingDistance(RandomFourierFeatures rff, float[][] x, float[][] y) {
    double[] mx = new double[rff.features()];
    double[] my = new double[rff.features()];
    for (float[] r : x) {
      add(mx, rff.map(r), 1.0 / x.length);
    }
    for (float[] r : y) {
      add(my, rff.map(r), 1.0 / y.length);
    }
    double s = 0;
    for (int f = 0; f < mx.length; f++) {
      s += (mx[f] - my[f]) * (mx[f] - my[f]);
    }
    return s;
  }

  private static void add(double[] acc, double[] v, double w) {
    for (int i = 0; i < acc.length; i++) {
      acc[i] += w * v[i];
    }
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
