package dev.osprey.core.event;

/** Why an event was sent to the dead-letter topic; the code travels in the DLQ headers. */
public enum RejectReason {
  NOT_JSON("not-json"),
  MISSING_FIELD("missing-field"),
  INVALID_FIELD("invalid-field"),
  UNSUPPORTED_SCHEMA("unsupported-schema"),
  UNKNOWN_DTYPE("unknown-dtype"),
  SHAPE_MISMATCH("shape-mismatch"),
  NON_FINITE("non-finite"),
  TOO_LARGE("too-large"),
  DUPLICATE_ID("duplicate-id"),
  INCOMPATIBLE_INPUT("incompatible-input"),
  /** The model failed on this one sample although it fit the model's input (inference only). */
  MODEL_ERROR("model-error");

  private final String code;

  RejectReason(String code) {
    this.code = code;
  }

  /** Stable lower-case code used in headers and metric tags. */
  public String code() {
    return code;
  }
}
