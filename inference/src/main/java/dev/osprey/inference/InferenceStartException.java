package dev.osprey.inference;

/** The inference service could not start; the message and cause say why. */
public final class InferenceStartException extends Exception {
  public InferenceStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
