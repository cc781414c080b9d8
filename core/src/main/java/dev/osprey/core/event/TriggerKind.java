package dev.osprey.core.event;

/**
 * Why a retraining run was requested. When several triggers hold at once, the run is credited to
 * the first in declaration order (the most specific evidence first).
 */
public enum TriggerKind {
  /** A drift detector's alarm on the serving version, with enough labels since its onset. */
  DRIFT("drift"),
  /** The serving version's online accuracy over the last K labeled outcomes fell below a floor. */
  ACCURACY_FLOOR("accuracy"),
  /** N new labels arrived since the last run. */
  NEW_LABELS("labels"),
  /** A schedule slot (every D, aligned to the epoch) began without a run in it. */
  SCHEDULE("schedule");

  private final String label;

  TriggerKind(String label) {
    this.label = label;
  }

  /** Short lower-case name for run ids and metric tags, e.g. {@code drift}. */
  public String label() {
    return label;
  }
}
