package dev.osprey.model.serving;

/** What became of one model activation; the {@code outcome} tag of {@code <prefix>_model_swaps_total} ({@link ServingMetrics}). */
public enum SwapOutcome {
  /** Loaded, verified, warmed up and now serving. */
  SUCCESS("success"),
  /** The version is missing, corrupt (hash mismatch), or the runtime could not open it; the old model keeps serving. */
  FAILED("failed"),
  /** The version loads but does not fit: other input shape/dtype or labels than the serving model, or outputs that do not match its labels. */
  INCOMPATIBLE("incompatible"),
  /** The activation names the version already serving. */
  UNCHANGED("unchanged"),
  /** The record on the models topic is not a valid activation. */
  INVALID_EVENT("invalid_event");

  private final String code;

  SwapOutcome(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
