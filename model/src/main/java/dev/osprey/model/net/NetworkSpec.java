package dev.osprey.model.net;

import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * A classifier as three stages, each a list of {@link LayerSpec}:
 *
 * <ul>
 *   <li>{@code features}: the convolutional stage (empty for an MLP); its output is the last conv
 *       feature maps Grad-CAM needs;
 *   <li>{@code embedding}: flatten + dense layers; its output is the embedding (penultimate
 *       activation) used for drift and kNN;
 *   <li>{@code head}: the final dense layer producing logits, replaced when fine-tuning.
 * </ul>
 *
 * <p>{@link #build()} returns a {@link SequentialBlock} whose children are exactly three
 * SequentialBlocks in that order ({@link #FEATURES}, {@link #EMBEDDING}, {@link #HEAD}); child
 * {@code i} of a stage is the block of layer {@code i}. Backbone = features + embedding.
 *
 * @param name architecture name, e.g. "cnn-teacher"
 * @param inputShape per-sample input shape without batch, e.g. [1, 28, 28]
 * @param features convolutional layers
 * @param embedding flatten + dense layers ending in the embedding activation
 * @param classes number of output classes (head = one dense layer of this width)
 */
public record NetworkSpec(
    String name, List<Integer> inputShape, List<LayerSpec> features, List<LayerSpec> embedding, int classes) {

  public static final int FEATURES = 0;
  public static final int EMBEDDING = 1;
  public static final int HEAD = 2;

  public NetworkSpec {
    inputShape = List.copyOf(inputShape);
    features = List.copyOf(features);
    embedding = List.copyOf(embedding);
    if (classes < 2) {
      throw new IllegalArgumentException("classes must be >= 2, got " + classes);
    }
    if (embedding.isEmpty() || !(embedding.get(0) instanceof LayerSpec.Flatten)) {
      throw new IllegalArgumentException("embedding stage must start with flatten");
    }
  }

  /** The head's layers: one dense layer producing logits. */
  public List<LayerSpec> head() {
    return List.of(new LayerSpec.Dense(classes));
  }

  /** Width of the embedding: units of the last dense layer of the embedding stage. */
  public int embeddingSize() {
    for (int i = embedding.size() - 1; i >= 0; i--) {
      if (embedding.get(i) instanceof LayerSpec.Dense d) {
        return d.units();
      }
    }
    throw new IllegalStateException("embedding stage of " + name + " has no dense layer");
  }

  /** The stages in block order. */
  public List<List<LayerSpec>> stages() {
    return List.of(features, embedding, head());
  }

  /** Builds the DJL block (uninitialized). */
  public SequentialBlock build() {
    SequentialBlock net = new SequentialBlock();
    for (List<LayerSpec> stage : stages()) {
      net.add(buildStage(stage));
    }
    return net;
  }

  /** Same architecture with a new number of classes (a fresh head for fine-tuning). */
  public NetworkSpec withClasses(int newClasses) {
    return new NetworkSpec(name, inputShape, features, embedding, newClasses);
  }

  private static SequentialBlock buildStage(List<LayerSpec> layers) {
    SequentialBlock stage = new SequentialBlock();
    List<Block> blocks = new ArrayList<>();
    for (LayerSpec l : layers) {
      blocks.add(l.toBlock());
    }
    stage.addAll(blocks);
    return stage;
  }
}
