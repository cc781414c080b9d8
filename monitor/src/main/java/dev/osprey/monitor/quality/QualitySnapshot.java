package dev.osprey.monitor.quality;

/**
 * Realized quality over a set of labeled predictions. Averages are NaN when {@code labeled} is 0.
 *
 * @param labeled outcomes counted
 * @param accuracy fraction predicted correctly
 * @param recall per true class, the fraction predicted correctly (NaN for a class with no outcome)
 * @param ece expected calibration error: {@code sum_b (n_b / n) |accuracy_b - mean confidence_b|}
 *     over equal-width confidence bins
 * @param logLoss mean {@code -ln p(true class)} (p floored at 1e-15)
 * @param meanConfidence mean top-class probability
 * @param coverage labeled predictions / predictions (NaN where not defined)
 * @param meanDelayMillis mean label delay
 */
public record QualitySnapshot(
    long labeled, double accuracy, double[] recall, double ece, double logLoss, double meanConfidence,
    double coverage, double meanDelayMillis) {

  @Override
  public double[] recall() {
    return recall.clone();
  }
}
