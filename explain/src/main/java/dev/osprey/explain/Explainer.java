package dev.osprey.explain;

import java.util.Map;

/**
 * One attribution method bound to a model and its parameters. Explaining is deterministic for a
 * given input, target and parameters (random methods take a seed).
 */
public interface Explainer {

  Method method();

  /** The parameters as strings, as they are reported with every explanation. */
  Map<String, String> parameters();

  /**
   * Attributes the model's output for class {@code target} to the input.
   *
   * @param input one normalized sample
   * @param target the class explained, usually the predicted label
   * @throws IllegalArgumentException if the input or target do not fit the model
   * @throws dev.osprey.explain.model.ModelEvaluationException if the engine fails
   */
  AttributionMap explain(float[] input, int target);
}
