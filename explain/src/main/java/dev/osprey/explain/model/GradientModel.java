package dev.osprey.explain.model;

/**
 * A differentiable model: outputs plus gradients with respect to the input or to the last
 * convolutional layer's activations. Implementations compute every row of a batch in one
 * forward/backward pass; rows are independent (inference mode: batch norm uses its running
 * statistics, dropout is off), so a batch's gradients equal the per-sample ones.
 */
public interface GradientModel extends ExplainedModel {

  /**
   * Gradients of {@code output[target_i]} with respect to each input.
   *
   * @throws IllegalArgumentException if a sample has the wrong length or a target is out of range
   * @throws ModelEvaluationException if the engine fails
   */
  InputGradients inputGradients(float[][] inputs, int[] targets, OutputKind output);

  /**
   * Activations of the last convolutional layer and the gradients of {@code output[target_i]}
   * with respect to them.
   *
   * @throws UnsupportedOperationException if the model has no convolutional layer
   * @throws IllegalArgumentException if a sample has the wrong length or a target is out of range
   * @throws ModelEvaluationException if the engine fails
   */
  FeatureMapGradients featureMapGradients(float[][] inputs, int[] targets, OutputKind output);
}
