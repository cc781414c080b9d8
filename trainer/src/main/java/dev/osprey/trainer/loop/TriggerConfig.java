package dev.osprey.trainer.loop;

import java.time.Duration;

/**
 * When {@link TriggerPolicy} asks for a retraining run. Triggers combine by "any": each enabled
 * one can start a run; the drift trigger is itself a conjunction (an alarm and enough labels).
 *
 * @param modelName the served model whose drift reports and outcomes count
 * @param driftMinLabels M: a drift alarm triggers once M labels of samples at or after its onset
 *     have arrived; negative disables the drift trigger, 0 triggers on the alarm itself
 * @param newLabels N: trigger after N labels since the last run; 0 disables
 * @param schedule D: trigger once per epoch-aligned slot of length D; {@link Duration#ZERO} disables
 * @param accuracyFloor trigger when online accuracy over the last {@code accuracyWindow} outcomes
 *     is below this; 0 disables
 * @param accuracyWindow K: outcomes in the online-accuracy window (the window must be full)
 * @param cooldown no run starts until this long after the previous run finished
 * @param labelMemory how many recent labels' sample timestamps are kept to count the labels since
 *     an alarm's onset that arrived before the alarm itself (detection lags the onset)
 * @throws IllegalArgumentException naming the field when a value is out of range
 */
public record TriggerConfig(
    String modelName,
    int driftMinLabels,
    int newLabels,
    Duration schedule,
    double accuracyFloor,
    int accuracyWindow,
    Duration cooldown,
    int labelMemory) {

  public TriggerConfig {
    if (modelName == null || modelName.isBlank()) {
      throw new IllegalArgumentException("modelName must not be blank");
    }
    if (newLabels < 0) {
      throw new IllegalArgumentException("newLabels must be >= 0 (0 = off), got " + newLabels);
    }
    if (schedule == null || schedule.isNegative()) {
      throw new IllegalArgumentException("schedule must be >= 0 (0 = off), got " + schedule);
    }
    if (!(accuracyFloor >= 0 && accuracyFloor <= 1)) {
      throw new IllegalArgumentException("accuracyFloor must be in [0, 1] (0 = off), got " + accuracyFloor);
    }
    if (accuracyWindow < 1) {
      throw new IllegalArgumentException("accuracyWindow must be >= 1, got " + accuracyWindow);
    }
    if (cooldown == null || cooldown.isNegative()) {
      throw new IllegalArgumentException("cooldown must be >= 0, got " + cooldown);
    }
    if (labelMemory < Math.max(1, driftMinLabels)) {
      throw new IllegalArgumentException(
          "labelMemory must be >= max(1, driftMinLabels) = " + Math.max(1, driftMinLabels) + ", got " + labelMemory);
    }
  }

  /**
   * Defaults: drift alarm + 1,000 labels since onset; 20,000 new labels; no schedule; accuracy
   * floor off (window 500); cooldown 60 s; 50,000 label timestamps remembered.
   */
  public static TriggerConfig defaults(String modelName) {
    return new TriggerConfig(modelName, 1_000, 20_000, Duration.ZERO, 0, 500, Duration.ofSeconds(60), 50_000);
  }

  public boolean driftEnabled() {
    return driftMinLabels >= 0;
  }

  public boolean newLabelsEnabled() {
    return newLabels > 0;
  }

  public boolean scheduleEnabled() {
    return !schedule.isZero();
  }

  public boolean accuracyFloorEnabled() {
    return accuracyFloor > 0;
  }
}
