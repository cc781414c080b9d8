package dev.osprey.explain.model;

/**
 * A model seen as a black box: a batch of inputs in, one score per class out (class
 * probabilities for a classifier). Occlusion and KernelSHAP need nothing more, so they run on the
 * served int8 graph and on imported ONNX models alike. Implementations batch internally as they
 * see fit.
 */
public interface ScoreFunction extends ExplainedModel {

  /**
   * Scores a batch.
   *
   * @param inputs normalized samples, each {@code inputShape().size()} floats
   * @return {@code inputs.length} rows of {@link #classes()} scores
   * @throws IllegalArgumentException if a sample has the wrong length
   * @throws ModelEvaluationException if the engine fails
   */
  float[][] scores(float[][] inputs);

  /** The score of class {@code target} for each input. */
  default float[] scores(float[][] inputs, int target) {
    float[][] all = scores(inputs);
    float[] out = new float[all.length];
    for (int i = 0; i < all.length; i++) {
      out[i] = all[i][target];
    }
    return out;
  }
}
