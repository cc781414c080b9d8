package dev.osprey.trainer;

import ai.djl.training.tracker.Tracker;

/**
 * Linear warmup to {@code a0} over {@code warmupSteps}, then cosine decay
 * {@code a_t = a0 (1 + cos(pi t / T)) / 2} over the remaining {@code T} steps (t counted from the
 * end of warmup). DJL counts updates from 1 per parameter; step 1 is the first update.
 */
public record LearningRateSchedule(float a0, int warmupSteps, int totalSteps) implements Tracker {

  public LearningRateSchedule {
    if (a0 <= 0) {
      throw new IllegalArgumentException("a0 must be > 0, got " + a0);
    }
    if (totalSteps <= 0 || warmupSteps < 0 || warmupSteps >= totalSteps) {
      throw new IllegalArgumentException("need 0 <= warmupSteps < totalSteps, got " + warmupSteps + "/" + totalSteps);
    }
  }

  @Override
  public float getNewValue(int numUpdate) {
    int step = Math.max(numUpdate, 1);
    if (step <= warmupSteps) {
      return a0 * step / warmupSteps;
    }
    int t = Math.min(step - warmupSteps, totalSteps - warmupSteps);
    int decaySteps = totalSteps - warmupSteps;
    return (float) (a0 * (1 + Math.cos(Math.PI * t / decaySteps)) / 2);
  }
}
