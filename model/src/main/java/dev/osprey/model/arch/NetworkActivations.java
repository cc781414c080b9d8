package dev.osprey.model.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.osprey.model.net.NetworkSpec;

/**
 * The three stage outputs of a network built by {@link NetworkSpec#build()} from one inference
 * forward pass: the stages run one after another on the same array, so Grad-CAM gets the last
 * conv feature maps and drift gets the embedding without a second pass. The arrays belong to the
 * input's manager.
 *
 * @param featureMaps output of the features stage ([N, C, H, W]; the input itself for an MLP)
 * @param embedding output of the embedding stage ([N, E])
 * @param logits output of the head ([N, classes])
 */
public record NetworkActivations(NDArray featureMaps, NDArray embedding, NDArray logits) {

  /**
   * Runs {@code net} (a block from {@link NetworkSpec#build()}) on {@code input} in inference mode.
   *
   * @throws IllegalArgumentException if {@code net} does not have the three stages
   */
  public static NetworkActivations of(Block net, NDArray input) {
    return of(net, input, false);
  }

  /**
   * Same as {@link #of(Block, NDArray)} with an explicit training flag (true inside a gradient
   * collector when the maps themselves are differentiated, e.g. Grad-CAM on a model copy).
   */
  public static NetworkActivations of(Block net, NDArray input, boolean training) {
    var stages = net.getChildren();
    if (stages.size() != 3) {
      throw new IllegalArgumentException("expected a 3-stage network (features, embedding, head), got " + stages.size());
    }
    ParameterStore store = new ParameterStore(input.getManager(), false);
    NDArray maps = stageForward(stages.get(NetworkSpec.FEATURES).getValue(), store, input, training);
    NDArray embedding = stageForward(stages.get(NetworkSpec.EMBEDDING).getValue(), store, maps, training);
    NDArray logits = stageForward(stages.get(NetworkSpec.HEAD).getValue(), store, embedding, training);
    return new NetworkActivations(maps, embedding, logits);
  }

  private static NDArray stageForward(Block stage, ParameterStore store, NDArray x, boolean training) {
    if (stage.getChildren().isEmpty()) {
      return x;
    }
    return stage.forward(store, new NDList(x), training).singletonOrThrow();
  }
}
