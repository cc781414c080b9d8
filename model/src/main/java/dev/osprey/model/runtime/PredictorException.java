package dev.osprey.model.runtime;

/** A model could not be loaded or a batch could not be run by the engine. */
public class PredictorException extends Exception {
  public PredictorException(String message, Throwable cause) {
    super(message, cause);
  }

  public PredictorException(String message) {
    super(message);
  }
}
