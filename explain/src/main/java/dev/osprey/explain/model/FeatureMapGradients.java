package dev.osprey.explain.model;

/**
 * The activations {@code A} of a convolutional layer and the gradient of each row's target
 * output with respect to them: what Grad-CAM needs.
 *
 * @param outputs per row, every class's output of the requested {@link OutputKind}
 * @param channels feature maps K
 * @param height map height
 * @param width map width
 * @param activations per row, K x height x width floats
 * @param gradients per row, {@code d outputs[i][target_i] / d A_i}, same layout
 */
public record FeatureMapGradients(
    float[][] outputs, int channels, int height, int width, float[][] activations, float[][] gradients) {
  public FeatureMapGradients {
    int n = channels * height * width;
    if (activations.length != outputs.length || gradients.length != outputs.length) {
      throw new IllegalArgumentException("rows of outputs, activations and gradients differ");
    }
    for (int i = 0; i < activations.length; i++) {
      if (activations[i].length != n || gradients[i].length != n) {
        throw new IllegalArgumentException("row " + i + " does not hold " + channels + "x" + height + "x" + width + " floats");
      }
    }
  }
}
