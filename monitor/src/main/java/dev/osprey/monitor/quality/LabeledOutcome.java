package dev.osprey.monitor.quality;

/**
 * A prediction scored against its label, as online quality reads it: the fields of core's
 * {@code Outcome} event that quality needs (the service maps one to the other).
 *
 * @param sampleId the sample
 * @param predicted predicted class
 * @param actual true class
 * @param confidence probability of the predicted class
 * @param labelProbability probability the model gave the true class
 * @param predictionTimestamp when the prediction was made, epoch millis
 * @param delayMillis label time minus prediction time
 */
public record LabeledOutcome(
    String sampleId, int predicted, int actual, float confidence, float labelProbability,
    long predictionTimestamp, long delayMillis) {

  /** @throws IllegalArgumentException if a class is negative or a probability is outside [0, 1] */
  public LabeledOutcome {
    if (predicted < 0 || actual < 0) {
      throw new IllegalArgumentException("classes must be >= 0, got predicted=" + predicted + ", actual=" + actual);
    }
    if (!(confidence >= 0 && confidence <= 1) || !(labelProbability >= 0 && labelProbability <= 1)) {
      throw new IllegalArgumentException(
          "probabilities must lie in [0, 1], got confidence=" + confidence + ", labelProbability=" + labelProbability);
    }
  }

  public boolean correct() {
    return predicted == actual;
  }
}
