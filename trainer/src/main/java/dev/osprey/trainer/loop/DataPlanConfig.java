package dev.osprey.trainer.loop;

/**
 * How a run's training data is put together.
 *
 * @param windowCapacity recent labels kept ({@link LabeledWindow}'s capacity)
 * @param heldOutFraction share of recent labels held out for the gate ({@link HoldoutSplit})
 * @param replayRatio reference training samples replayed per recent training sample (1.0 = half
 *     and half), so what did not drift is not forgotten; 0 trains on recent labels only
 * @throws IllegalArgumentException naming the field when a value is out of range
 */
public record DataPlanConfig(int windowCapacity, double heldOutFraction, double replayRatio) {

  public DataPlanConfig {
    if (windowCapacity < 1) {
      throw new IllegalArgumentException("windowCapacity must be >= 1, got " + windowCapacity);
    }
    new HoldoutSplit(heldOutFraction);
    if (!(replayRatio >= 0) || Double.isInfinite(replayRatio)) {
      throw new IllegalArgumentException("replayRatio must be a finite number >= 0, got " + replayRatio);
    }
  }

  /** 20,000 recent labels, 20% held out, one replayed reference sample per recent one. */
  public static DataPlanConfig defaults() {
    return new DataPlanConfig(20_000, 0.2, 1.0);
  }
}
