package dev.osprey.monitor.drift;

/**
 * When a thresholded statistic raises and clears an alarm: it is raised the first step the
 * statistic exceeds the threshold, and cleared once it has stayed at or below it for
 * {@code clearAfter} consecutive steps (so one excursion that wobbles around the threshold is one
 * alarm, not many). Calibration and the live detector share this class so that the expected run
 * time is measured on exactly the rule that raises alarms.
 */
final class AlarmLatch {
  enum Transition { NONE, RAISED, CLEARED }

  private final double threshold;
  private final int clearAfter;
  private boolean alarm;
  private int quietSteps;

  AlarmLatch(double threshold, int clearAfter) {
    this.threshold = threshold;
    this.clearAfter = clearAfter;
  }

  Transition update(double statistic) {
    if (statistic > threshold) {
      quietSteps = 0;
      if (!alarm) {
        alarm = true;
        return Transition.RAISED;
      }
      return Transition.NONE;
    }
    if (alarm && ++quietSteps >= clearAfter) {
      alarm = false;
      return Transition.CLEARED;
    }
    return Transition.NONE;
  }

  boolean alarm() {
    return alarm;
  }

  int quietSteps() {
    return quietSteps;
  }

  /** Continues from a saved state (a restart). */
  void restore(boolean alarm, int quietSteps) {
    this.alarm = alarm;
    this.quietSteps = quietSteps;
  }
}
