package dev.osprey.core.service;

/** A service could not start; the message and cause say why. */
public final class ServiceStartException extends Exception {
  private static final long serialVersionUID = 1L;

  public ServiceStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
