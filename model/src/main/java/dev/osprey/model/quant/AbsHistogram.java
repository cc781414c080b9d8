package dev.osprey.model.quant;

/**
 * Histogram of |x| over [0, max] in equal bins, accumulated over calibration batches, and the
 * thresholds the calibration methods derive from it.
 */
public final class AbsHistogram {
  private final float max;
  private final long[] counts;
  private final double binWidth;

  /**
   * @param max upper edge (the largest |x| of the tensor, from a first pass), >= 0
   * @param bins number of bins, >= 128 (entropy calibration quantizes into 128 levels)
   */
  public AbsHistogram(float max, int bins) {
    if (!(max >= 0) || Float.isInfinite(max)) {
      throw new IllegalArgumentException("histogram max must be finite and >= 0, got " + max);
    }
    if (bins < 128) {
      throw new IllegalArgumentException("histogram bins must be >= 128, got " + bins);
    }
    this.max = max;
    this.counts = new long[bins];
    this.binWidth = max == 0 ? 1 : (double) max / bins;
  }

  public void add(float[] x, int from, int to) {
    int last = counts.length - 1;
    for (int i = from; i < to; i++) {
      int b = (int) (Math.abs(x[i]) / binWidth);
      counts[Math.min(b, last)]++;
    }
  }

  public float max() {
    return max;
  }

  public long total() {
    long t = 0;
    for (long c : counts) {
      t += c;
    }
    return t;
  }

  /** The smallest bin upper edge below which {@code percentile}% of the values lie. */
  public float percentileThreshold(double percentile) {
    if (!(percentile > 0 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be in (0, 100], got " + percentile);
    }
    long total = total();
    if (total == 0 || max == 0) {
      return max;
    }
    double target = total * percentile / 100.0;
    long cum = 0;
    for (int i = 0; i < counts.length; i++) {
      cum += counts[i];
      if (cum >= target) {
        return (float) Math.min(max, (i + 1) * binWidth);
      }
    }
    return max;
  }

  /**
   * TensorRT's entropy calibration: for each candidate threshold bin i (from 128 up), the
   * reference distribution P is the histogram cut at i with everything beyond folded into the
   * last bin; Q is P squeezed into 128 levels and expanded back (uniform over the non-empty bins
   * of each level). The threshold is the bin edge with the smallest KL(P || Q).
   */
  public float entropyThreshold() {
    int levels = SymmetricScales.QMAX + 1;
    if (total() == 0 || max == 0) {
      return max;
    }
    int n = counts.length;
    double bestKl = Double.POSITIVE_INFINITY;
    int bestI = n;
    for (int i = levels; i <= n; i++) {
      double[] p = new double[i];
      for (int k = 0; k < i; k++) {
        p[k] = counts[k];
      }
      for (int k = i; k < n; k++) {
        p[i - 1] += counts[k];
      }
      // Q: merge the i unclipped bins into `levels` groups, spread each group's mass over the
      // bins that are non-empty in P
      double[] q = new double[i];
      double perLevel = (double) i / levels;
      for (int j = 0; j < levels; j++) {
        int start = (int) Math.floor(j * perLevel);
        int end = j == levels - 1 ? i : (int) Math.floor((j + 1) * perLevel);
        double mass = 0;
        int nonEmpty = 0;
        for (int k = start; k < end; k++) {
          mass += counts[k]; // Q is built without the folded outliers: clipping must cost
          nonEmpty += p[k] != 0 ? 1 : 0;
        }
        for (int k = start; k < end; k++) {
          q[k] = p[k] != 0 ? mass / nonEmpty : 0;
        }
      }
      double kl = clippedKlDivergence(p, q);
      if (kl < bestKl) {
        bestKl = kl;
        bestI = i;
      }
    }
    return (float) Math.min(max, bestI * binWidth);
  }

  /**
   * KL(P || Q) where Q is scaled by P's total, not its own: the mass Q lost to clipping stays
   * missing. TensorRT normalizes Q by itself, which on spiky distributions (MNIST's constant
   * background puts ~80% of the input on one value) lets a threshold just above the spike win
   * and clips every digit stroke; keeping the lost mass makes clipping pay for what it removes.
   */
  static double clippedKlDivergence(double[] p, double[] q) {
    double sp = 0;
    for (double v : p) {
      sp += v;
    }
    double kl = 0;
    for (int k = 0; k < p.length; k++) {
      if (p[k] == 0) {
        continue;
      }
      double pk = p[k] / sp;
      double qk = q[k] == 0 ? 1e-12 : q[k] / sp;
      kl += pk * Math.log(pk / qk);
    }
    return kl;
  }

  /** KL(P || Q) of two unnormalized histograms; bins where P is 0 contribute nothing. */
  static double klDivergence(double[] p, double[] q) {
    double sp = 0;
    double sq = 0;
    for (int k = 0; k < p.length; k++) {
      sp += p[k];
      sq += q[k];
    }
    double kl = 0;
    for (int k = 0; k < p.length; k++) {
      if (p[k] == 0) {
        continue;
      }
      double pk = p[k] / sp;
      // a level with mass in P but none in Q: smooth instead of infinity (TensorRT does the same)
      double qk = q[k] == 0 ? 1e-12 : q[k] / sq;
      kl += pk * Math.log(pk / qk);
    }
    return kl;
  }
}
