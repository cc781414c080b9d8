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
  MODEL_ERROR("model-error"),
  /** A second label for a sample, equal to the first (the label joins: first label wins). */
  DUPLICATE_LABEL("duplicate-label"),
  /** A second label for a sample that differs from the first (the first one stays). */
  CONFLICTING_LABEL("conflicting-label"),
  /** A label no sample or prediction with its id met within the join window. */
  UNMATCHED_LABEL("unmatched-label");

  private final String code;

  RejectReason(String code) {
    this.code = code;
  }

  /** Stable lower-case code used in headers and metric tags. */
  public String code() {
    return code;
  }
}
