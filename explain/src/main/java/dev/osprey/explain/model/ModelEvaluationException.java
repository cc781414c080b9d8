package dev.osprey.explain.model;

/** The engine failed while an explainer was running the model (not a bad argument). */
public class ModelEvaluationException extends RuntimeException {
  public ModelEvaluationException(String message, Throwable cause) {
    super(message, cause);
  }
}
