package dev.osprey.cli.demo;

import dev.osprey.core.event.DriftReport;
import java.util.List;
import java.util.Optional;

/**
 * What the monitor said about the demo's replayed drift: the alarms (read_committed, in replay
 * order) and the online accuracy on labelled samples before and after the onset.
 */
public record DriftSummary(int onsetIndex, List<DriftReport> alarms, double accuracyBefore, int labelledBefore,
    double accuracyAfter, int labelledAfter) {
  /** The first alarm raised at or after the drift's onset, if any. */
  public Optional<DriftReport> firstAlarmAfterOnset() {
    return alarms.stream().filter(a -> afterOnset(a, onsetIndex)).findFirst();
  }

  /**
   * Where in the replay the alarm's drift began: the replay index of the detector's estimated onset
   * sample (ids are RUN-INDEX), else its count of predictions. Not the count alone: a monitor
   * catching up on a backlog reads the partitions unevenly, so its n-th prediction is not sample n.
   */
  static long replayPosition(DriftReport a) {
    String id = a.onsetSampleId();
    int dash = id == null ? -1 : id.lastIndexOf('-');
    if (dash >= 0) {
      try {
        return Long.parseLong(id.substring(dash + 1));
      } catch (NumberFormatException e) {
        // not a replay id: fall back to the count
      }
    }
    return a.samplesSeen();
  }

  /** The onset estimate may precede the true one by up to a window (the window straddles the change). */
  static boolean afterOnset(DriftReport a, long onset) {
    return replayPosition(a) >= onset - a.windowSize();
  }
}
