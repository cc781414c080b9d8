package dev.osprey.monitor.service;

import dev.osprey.monitor.drift.DriftConfig;
import dev.osprey.monitor.quality.QualityConfig;

/**
 * What the monitor computes (the statistics half of {@link MonitorConfig}).
 *
 * @param drift detectors: ERT, window, calibration
 * @param quality online quality windows
 * @param estimateWindow predictions averaged by the estimated accuracy (CBPE), >= 1
 * @param versionsKept model versions per model whose quality is kept (the newest seen), >= 1
 * @param summaryBuffer input summaries of samples waiting for their prediction; 0 turns the
 *     input-summary join off (the monitor then does not read {@code osprey.samples}). On by default
 *     ({@value #DEFAULT_SUMMARY_BUFFER}): the input-summary detector runs for every version whose
 *     registry entry has an input-summary reference (the packager stores one)
 * @throws IllegalArgumentException also when the windows would make a model's saved state larger
 *     than the state topic takes ({@link #estimatedStateBytes()} over {@link MonitorStateCodec#MAX_BYTES})
 */
public record MonitorSettings(DriftConfig drift, QualityConfig quality, int estimateWindow, int versionsKept,
    int summaryBuffer) {
  /** Default {@code summaryBuffer}: samples read ahead of their predictions whose summaries are kept. */
  public static final int DEFAULT_SUMMARY_BUFFER = 8192;

  /**
   * Gzipped bytes per entry of a saved state, for a 10-class model with 64-wide embeddings, rounded
   * up from measurements (OnlineQualityTest: 49.5 kB for a count window of 1,000 and 120 live
   * buckets; MonitorThroughputBenchmark: 349 kB for a whole state of one version with 4 detectors):
   * an outcome of the count window, a time bucket of the quality window, a prediction of the CBPE
   * window, and one position of the drift window, where each of up to 5 detectors saves the whole
   * observation (softmax, embedding, input summary, sample id).
   */
  static final int OUTCOME_BYTES = 32;
  static final int BUCKET_BYTES = 320;
  static final int PREDICTION_BYTES = 10;
  static final int OBSERVATION_BYTES = 2_000;

  /** @throws IllegalArgumentException naming the field and the value */
  public MonitorSettings {
    if (drift == null || quality == null) {
      throw new IllegalArgumentException("drift and quality settings must be set");
    }
    if (estimateWindow < 1) {
      throw new IllegalArgumentException("estimateWindow must be >= 1, got " + estimateWindow);
    }
    if (versionsKept < 1) {
      throw new IllegalArgumentException("versionsKept must be >= 1, got " + versionsKept);
    }
    if (summaryBuffer < 0) {
      throw new IllegalArgumentException("summaryBuffer must be >= 0, got " + summaryBuffer);
    }
    long bytes = estimatedStateBytes(drift, quality, estimateWindow, versionsKept);
    if (bytes > MonitorStateCodec.MAX_BYTES) {
      throw new IllegalArgumentException("a model's saved state would take about " + bytes + " bytes, over the "
          + MonitorStateCodec.MAX_BYTES + " the state topic takes: lower quality.countWindow (" + quality.countWindow()
          + "), estimateWindow (" + estimateWindow + "), versionsKept (" + versionsKept + ") or drift.windowSize ("
          + drift.windowSize() + ")");
    }
  }

  /**
   * The size a model's saved state is expected to reach at most (gzipped), for a model of up to
   * 10 classes and 64-wide embeddings: {@code versionsKept} versions of quality (the count window's
   * outcomes, 121 time buckets whatever the traffic, the CBPE window) and one drift window. At the
   * defaults about 0.72 MB, most of it the drift windows. A state that still passes the limit (a larger model) is refused by name
   * when it is written, and the monitor stops (see docs/monitor.md, "Exactly-once and restarts").
   */
  public long estimatedStateBytes() {
    return estimatedStateBytes(drift, quality, estimateWindow, versionsKept);
  }

  private static long estimatedStateBytes(DriftConfig drift, QualityConfig quality, int estimateWindow, int versionsKept) {
    long version = (long) quality.countWindow() * OUTCOME_BYTES + (long) (quality.timeBuckets()) * BUCKET_BYTES
        + (long) estimateWindow * PREDICTION_BYTES;
    return versionsKept * version + (long) drift.windowSize() * OBSERVATION_BYTES;
  }

  /**
   * ERT 10,000 and windows of 200; quality over 1,000 outcomes and 10 minutes; CBPE over 1,000; 4
   * versions; input summaries joined from {@code osprey.samples} with a buffer of {@value #DEFAULT_SUMMARY_BUFFER}.
   */
  public static MonitorSettings defaults() {
    return new MonitorSettings(DriftConfig.defaults(), QualityConfig.defaults(), 1000, 4, DEFAULT_SUMMARY_BUFFER);
  }

  public boolean inputSummaries() {
    return summaryBuffer > 0;
  }
}
