package dev.osprey.monitor.drift;

import java.util.Map;

/**
 * A detector's alarm starting or ending: the data of a {@code DriftReport} on {@code osprey.drift}
 * except the model's name and version, the report id and the Kafka offsets, which the service adds.
 *
 * @param detector detector name
 * @param state ALARM when the alarm starts, CLEAR when it ends
 * @param statistic the statistic when it decided
 * @param threshold the calibrated threshold
 * @param windowSize samples in the window
 * @param ertSamples the run time between false alarms this detector was calibrated for
 * @param samplesSeen samples this detector has seen since the last reset (the stream position)
 * @param onsetIndex estimated first drifted sample (0-based stream position): one after the last
 *     sample at which the statistic was at or below its no-drift median; for CLEAR, the alarm's onset
 * @param onsetSampleId that sample's id, or null when unknown or too far back
 * @param details detector-specific numbers
 */
public record DriftEvent(
    String detector,
    State state,
    double statistic,
    double threshold,
    int windowSize,
    double ertSamples,
    long samplesSeen,
    long onsetIndex,
    String onsetSampleId,
    Map<String, Double> details) {

  /** Same names as the core event's state. */
  public enum State { ALARM, CLEAR }

  public DriftEvent {
    details = details == null ? Map.of() : Map.copyOf(details);
  }
}
