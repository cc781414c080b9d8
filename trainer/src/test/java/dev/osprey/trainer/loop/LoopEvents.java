package dev.osprey.trainer.loop;

import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Tensor;
import java.util.List;
import java.util.Map;

/** Small event factories for the loop's tests; model "digits" unless said otherwise. */
final class LoopEvents {
  static final String MODEL = "digits";

  private LoopEvents() {}

  /** A one-pixel labeled sample with both timestamps = {@code sampleTs}. */
  static LabeledSample labeled(String id, int label, long sampleTs) {
    return new LabeledSample(LabeledSample.SCHEMA_VERSION, id, Tensor.ofUint8(new byte[] {(byte) label}, 1),
        null, label, "test", sampleTs, sampleTs, sampleTs);
  }

  static LabeledSample labeled(String id, int label, byte[] pixels, int... shape) {
    return new LabeledSample(LabeledSample.SCHEMA_VERSION, id, Tensor.ofUint8(pixels, shape), null, label, "test",
        0L, 0L, 0L);
  }

  static DriftReport alarm(String reportId, String detector, int version, long ts, Long onsetTs) {
    return report(MODEL, reportId, detector, version, DriftReport.State.ALARM, ts, onsetTs);
  }

  static DriftReport clear(String reportId, String detector, int version, long ts) {
    return report(MODEL, reportId, detector, version, DriftReport.State.CLEAR, ts, null);
  }

  static DriftReport report(String model, String reportId, String detector, int version, DriftReport.State state,
      long ts, Long onsetTs) {
    Map<String, Double> details = onsetTs == null
        ? Map.of() : Map.of(TriggerPolicy.ONSET_TIMESTAMP_DETAIL, (double) onsetTs);
    return new DriftReport(DriftReport.SCHEMA_VERSION, reportId, model, version, detector, state, 12.5, 10.0,
        0, 5000.0, 100, null, Map.of(), details, ts);
  }

  /** An outcome on a 2-class model: predicted 1, actual 1 when correct else 0. */
  static Outcome outcome(String id, int version, boolean correct, long ts) {
    return outcome(MODEL, id, version, correct, ts);
  }

  static Outcome outcome(String model, String id, int version, boolean correct, long ts) {
    int actual = correct ? 1 : 0;
    return new Outcome(Outcome.SCHEMA_VERSION, id, model, version, 1, actual, correct, 0.9f,
        correct ? 0.9f : 0.1f, List.of(0.1f, 0.9f), "test", ts, ts, 0L, ts);
  }
}
