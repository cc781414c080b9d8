package dev.osprey.monitor.drift;

import java.util.Map;

/**
 * A test statistic over a sliding window of the most recent observations against a fixed
 * reference. The window is always full: it starts prefilled with reference draws, and each
 * update replaces the oldest observation. Not thread-safe.
 */
public interface WindowStatistic {

  /** Adds {@code o}, drops the oldest observation and returns the new statistic. */
  double update(Observation o);

  /** The current statistic. */
  double value();

  /** Detector-specific numbers explaining the current value (computed on demand; may cost more than an update). */
  Map<String, Double> details();
}
