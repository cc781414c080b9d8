package dev.osprey.explain.sampling;

/** Why a prediction is explained: the {@code trigger} of an explanation and of its metrics. */
public enum Trigger {
  /** Picked by the rate limit (a uniform sample of the traffic). */
  SAMPLED("sampled"),
  /** Its confidence is below the threshold. */
  LOW_CONFIDENCE("low-confidence"),
  /** Its outcome arrived and the prediction was wrong. */
  WRONG("wrong"),
  /** A drift detector was in alarm for its model when it arrived. */
  DRIFT("drift"),
  /** Someone asked for it (HTTP or the command line). */
  REQUEST("request");

  private final String wireName;

  Trigger(String wireName) {
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
