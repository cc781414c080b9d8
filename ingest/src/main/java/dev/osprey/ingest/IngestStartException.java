package dev.osprey.ingest;

/** The ingest service could not reach the RUNNING state; the message and cause say why. */
public final class IngestStartException extends Exception {
  public IngestStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
