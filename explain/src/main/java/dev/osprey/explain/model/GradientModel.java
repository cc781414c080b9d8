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
   * Every class's output of the requested kind, forward only. The default takes them from
   * {@link #inputGradients}; implementations override it with a pass that computes no gradient.
   *
   * @throws IllegalArgumentException if a sample has the wrong length
   * @throws ModelEvaluationException if the engine fails
   */
  default float[][] outputs(float[][] inputs, OutputKind output) {
    return inputGradients(inputs, new int[inputs.length], output).outputs();
  }

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
