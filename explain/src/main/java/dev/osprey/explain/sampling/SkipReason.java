package dev.osprey.explain.sampling;

/** Why a prediction (or outcome) is not explained: the {@code reason} of {@code osprey_explain_skipped_total}. */
public enum SkipReason {
  /** No rule applies and the rate limit has no token left. */
  RATE_LIMITED("rate-limited"),
  /** The outcome says the prediction was right (only wrong ones are explained). */
  CORRECT("correct"),
  /** A rule would apply but is switched off in the configuration. */
  RULE_OFF("rule-off"),
  /** This sample was explained recently (e.g. sampled, then its outcome was wrong). */
  ALREADY_EXPLAINED("already-explained"),
  /** The prediction is for another model than the one this service explains. */
  OTHER_MODEL("other-model"),
  /** The sample's tensor was not found in the join buffer (evicted or never seen). */
  SAMPLE_MISSING("sample-missing"),
  /** The model version that made the prediction cannot be loaded. */
  VERSION_UNAVAILABLE("version-unavailable"),
  /** The record could not be decoded, or the sample does not fit the model (logged). */
  INVALID_EVENT("invalid-event"),
  /** An explainer failed on this sample (logged). */
  FAILED("failed"),
  /** Chosen, but the explain CPU budget was spent ({@link CpuBudget}). */
  BUDGET("budget");

  private final String wireName;

  SkipReason(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  @Override
  public String toString() {
    return wireName;
  }
}
