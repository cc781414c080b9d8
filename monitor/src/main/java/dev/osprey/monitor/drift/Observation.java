package dev.osprey.monitor.drift;

/**
 * One prediction as the drift detectors see it. Arrays are not copied (the detectors only read
 * them, and copying each would cost more than the tests); callers must not modify them afterwards.
 *
 * @param sampleId the sample's id (reported as a drift onset), or null
 * @param probabilities softmax output, one value per class (null only in simulations of tests that
 *     do not read it)
 * @param predicted argmax of the probabilities
 * @param confidence probability of the predicted class
 * @param inputSummary per-sample input summary ({@code dev.osprey.core.data.InputSummaries}), or null
 * @param embedding penultimate-layer embedding, or null
 */
public record Observation(
    String sampleId, float[] probabilities, int predicted, float confidence, float[] inputSummary, float[] embedding) {

  /** An observation of a softmax output; predicted class and confidence are its argmax and max. */
  public static Observation of(String sampleId, float[] probabilities) {
    if (probabilities == null || probabilities.length == 0) {
      throw new IllegalArgumentException("probabilities must not be empty");
    }
    int best = 0;
    for (int c = 1; c < probabilities.length; c++) {
      if (probabilities[c] > probabilities[best]) {
        best = c;
      }
    }
    return new Observation(sampleId, probabilities, best, probabilities[best], null, null);
  }

  public Observation withInputSummary(float[] summary) {
    return new Observation(sampleId, probabilities, predicted, confidence, summary, embedding);
  }

  public Observation withEmbedding(float[] values) {
    return new Observation(sampleId, probabilities, predicted, confidence, inputSummary, values);
  }
}
