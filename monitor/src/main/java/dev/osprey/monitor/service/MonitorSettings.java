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
 */
public record MonitorSettings(DriftConfig drift, QualityConfig quality, int estimateWindow, int versionsKept,
    int summaryBuffer) {
  /** Default {@code summaryBuffer}: samples read ahead of their predictions whose summaries are kept. */
  public static final int DEFAULT_SUMMARY_BUFFER = 8192;

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
