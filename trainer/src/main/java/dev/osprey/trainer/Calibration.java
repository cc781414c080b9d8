package dev.osprey.trainer;

/**
 * Expected calibration error over equal-width confidence bins:
 * {@code ECE = sum_b (n_b / N) |acc_b - conf_b|}, where a prediction with top-1 probability p
 * falls in bin {@code min(floor(p * B), B - 1)}.
 */
public final class Calibration {
  public static final int DEFAULT_BINS = 15;

  private Calibration() {}

  /** Per-bin counts, mean confidence and accuracy (NaN for an empty bin). */
  public record Bins(int[] count, double[] confidence, double[] accuracy) {}

  public static Bins bins(double[] confidence, boolean[] correct, int binCount) {
    if (confidence.length != correct.length) {
      throw new IllegalArgumentException("confidence and correct differ in length: " + confidence.length + " vs " + correct.length);
    }
    if (binCount <= 0) {
      throw new IllegalArgumentException("binCount must be > 0, got " + binCount);
    }
    int[] n = new int[binCount];
    double[] conf = new double[binCount];
    double[] acc = new double[binCount];
    for (int i = 0; i < confidence.length; i++) {
      int b = Math.min((int) Math.floor(confidence[i] * binCount), binCount - 1);
      n[b]++;
      conf[b] += confidence[i];
      acc[b] += correct[i] ? 1 : 0;
    }
    for (int b = 0; b < binCount; b++) {
      conf[b] = n[b] == 0 ? Double.NaN : conf[b] / n[b];
      acc[b] = n[b] == 0 ? Double.NaN : acc[b] / n[b];
    }
    return new Bins(n, conf, acc);
  }

  public static double ece(double[] confidence, boolean[] correct, int binCount) {
    Bins bins = bins(confidence, correct, binCount);
    double ece = 0;
    for (int b = 0; b < binCount; b++) {
      if (bins.count()[b] > 0) {
        ece += (double) bins.count()[b] / confidence.length * Math.abs(bins.accuracy()[b] - bins.confidence()[b]);
      }
    }
    return ece;
  }
}
