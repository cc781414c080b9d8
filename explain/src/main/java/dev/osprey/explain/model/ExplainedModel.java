package dev.osprey.explain.model;

import dev.osprey.explain.ImageShape;

/** What every explainer needs to know about the model it explains, whatever the engine. */
public interface ExplainedModel {

  /** Shape of one (normalized) input sample. */
  ImageShape inputShape();

  /** Number of output classes. */
  int classes();

  /** Engine and precision that run this model. */
  ModelRuntime runtime();

  /**
   * Checks a batch of samples and target classes against the model.
   *
   * @throws IllegalArgumentException if the batch is empty, a sample has the wrong length or a
   *     target is out of range
   */
  default void checkBatch(float[][] inputs, int[] targets) {
    if (inputs.length == 0) {
      throw new IllegalArgumentException("empty batch");
    }
    if (targets != null && targets.length != inputs.length) {
      throw new IllegalArgumentException(targets.length + " targets for " + inputs.length + " inputs");
    }
    for (int i = 0; i < inputs.length; i++) {
      inputShape().check(inputs[i]);
      if (targets != null && (targets[i] < 0 || targets[i] >= classes())) {
        throw new IllegalArgumentException("target " + targets[i] + " outside 0.." + (classes() - 1));
      }
    }
  }
}
