package dev.osprey.monitor.drift;

import java.util.List;
import java.util.SplittableRandom;

/** Random draws the drift tests' simulations share: rows with replacement, categories by weight. */
final class Draws {
  private Draws() {}

  /** {@code n} rows drawn uniformly with replacement. */
  static float[][] resample(List<float[]> rows, int n, SplittableRandom rnd) {
    float[][] out = new float[n][];
    for (int i = 0; i < n; i++) {
      out[i] = rows.get(rnd.nextInt(rows.size()));
    }
    return out;
  }

  /** Cumulative sums of {@code weights}, normalised to end at 1. */
  static double[] cumulative(double[] weights) {
    double[] cum = new double[weights.length];
    double total = 0;
    for (double w : weights) {
      total += w;
    }
    if (!(total > 0)) {
      throw new IllegalArgumentException("weights must have a positive sum");
    }
    double acc = 0;
    for (int i = 0; i < weights.length; i++) {
      acc += weights[i];
      cum[i] = acc / total;
    }
    cum[cum.length - 1] = 1;
    return cum;
  }

  /** A category drawn with the probabilities whose cumulative sums are {@code cum}. */
  static int category(double[] cum, SplittableRandom rnd) {
    double u = rnd.nextDouble();
    int lo = 0;
    int hi = cum.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (u < cum[mid]) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** Proportions of a multinomial draw of {@code n} items: a bootstrap of a reference histogram of size n. */
  static double[] multinomialProportions(double[] cum, long n, SplittableRandom rnd) {
    double[] p = new double[cum.length];
    for (long i = 0; i < n; i++) {
      p[category(cum, rnd)]++;
    }
    for (int c = 0; c < p.length; c++) {
      p[c] /= n;
    }
    return p;
  }
}
