package dev.osprey.model.registry;

import java.util.List;

/**
 * The input and output an imported ONNX classifier is served through. Dimensions of -1 are
 * dynamic (the batch dimension, usually).
 *
 * @param inputName the graph's one float input
 * @param inputShape its declared shape, batch first
 * @param outputName the class-score output
 * @param outputShape its declared shape, [batch, classes]
 */
public record OnnxSignature(String inputName, List<Long> inputShape, String outputName, List<Long> outputShape) {
  public OnnxSignature {
    inputShape = List.copyOf(inputShape);
    outputShape = List.copyOf(outputShape);
  }

  /** The fixed batch size the graph demands, or -1 when the batch dimension is dynamic. */
  public long batch() {
    return inputShape.get(0);
  }
}
