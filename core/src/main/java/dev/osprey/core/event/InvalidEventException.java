package dev.osprey.core.event;

/** An event that cannot be accepted, with a machine-readable reason and a human detail. */
public final class InvalidEventException extends Exception {
  private final RejectReason reason;

  public InvalidEventException(RejectReason reason, String detail) {
    super(detail);
    this.reason = reason;
  }

  public RejectReason reason() {
    return reason;
  }

  public String detail() {
    return getMessage();
  }
}
