package dev.osprey.explain.model;

/**
 * Outputs of a batch and the gradient of each row's target output with respect to its input.
 *
 * @param outputs per row, every class's output of the requested {@link OutputKind}
 * @param gradients per row, {@code d outputs[i][target_i] / d input_i}, same length as the input
 */
public record InputGradients(float[][] outputs, float[][] gradients) {
  public InputGradients {
    if (outputs.length != gradients.length) {
      throw new IllegalArgumentException(outputs.length + " output rows but " + gradients.length + " gradient rows");
    }
  }
}
