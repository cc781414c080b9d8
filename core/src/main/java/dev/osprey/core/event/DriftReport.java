package dev.osprey.core.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * What one drift detector concluded about one model version's stream: an alarm (drift detected)
 * or the all-clear after one. Written to {@code osprey.drift} keyed by {@link #key()}
 * ({@code <modelName>/<detector>}), so a detector's reports for a model stay in order on one
 * partition; the trainer reads them to decide when to retrain.
 *
 * @param schemaVersion event schema version; {@link EventCodec} rejects versions it does not know
 * @param reportId unique id of this report
 * @param modelName registry name of the model whose stream was watched
 * @param modelVersion the registry version whose stream was watched, >= 1
 * @param detector the detector's name ({@code page-hinkley}, {@code ks-confidence}, ...)
 * @param state {@link State#ALARM} or {@link State#CLEAR}
 * @param statistic the detector's test statistic when it decided
 * @param threshold the threshold the statistic was compared with
 * @param windowSize samples in the detector's window (0 for detectors without one)
 * @param ertSamples expected run time: samples between false alarms at this threshold when the
 *     stream does not drift
 * @param samplesSeen the stream position when it decided: samples of this model version seen so far
 * @param onsetSampleId the sample where the drift is estimated to begin, or null when unknown
 * @param onsetOffsets Kafka offsets (partition -> offset) of the estimated onset, empty when unknown
 * @param details detector-specific numbers (means, p-values, ...)
 * @param timestamp when the detector decided, epoch milliseconds
 * @throws IllegalArgumentException if a name is blank, the state is null, a count is negative or a
 *     number is not finite
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DriftReport(
    int schemaVersion,
    String reportId,
    String modelName,
    int modelVersion,
    String detector,
    State state,
    double statistic,
    double threshold,
    int windowSize,
    double ertSamples,
    long samplesSeen,
    String onsetSampleId,
    Map<String, Long> onsetOffsets,
    Map<String, Double> details,
    long timestamp) {

  public static final int SCHEMA_VERSION = 1;

  /** Whether a detector currently sees drift. On the wire: {@code "ALARM"} or {@code "CLEAR"}. */
  public enum State {
    /** Drift detected: the stream no longer looks like the reference. */
    ALARM,
    /** No drift (any longer): the stream looks like the reference again. */
    CLEAR
  }

  public DriftReport {
    EventChecks.requireNonBlank(reportId, "reportId");
    EventChecks.requireModel(modelName, modelVersion);
    EventChecks.requireNonBlank(detector, "detector");
    if (state == null) {
      throw new IllegalArgumentException("'state' must be ALARM or CLEAR");
    }
    EventChecks.requireFinite(statistic, "statistic");
    EventChecks.requireFinite(threshold, "threshold");
    EventChecks.requireAtLeast(windowSize, 0, "windowSize");
    EventChecks.requireFinite(ertSamples, "ertSamples");
    EventChecks.requireAtLeast(samplesSeen, 0, "samplesSeen");
    onsetOffsets = onsetOffsets == null ? Map.of() : Map.copyOf(onsetOffsets);
    details = details == null ? Map.of() : Map.copyOf(details);
  }

  /** The Kafka key: {@code <modelName>/<detector>}. */
  public String key() {
    return key(modelName, detector);
  }

  /** The Kafka key of a model's reports from one detector. */
  public static String key(String modelName, String detector) {
    return modelName + "/" + detector;
  }
}
