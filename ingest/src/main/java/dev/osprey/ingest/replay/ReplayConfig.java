package dev.osprey.ingest.replay;

import dev.osprey.ingest.IngestConfig;
import java.util.List;

/**
 * What the replay producer sends, validated at construction.
 *
 * @param dataset dataset spec for {@link dev.osprey.core.data.Datasets}, e.g. {@code mnist:test}
 * @param runId prefix of sample ids ({@code <runId>-<index>}); letters, digits, '.', '_', '-'
 * @param limit number of samples to send; 0 sends the dataset once
 * @param rate samples per second; 0 sends as fast as possible
 * @param seed seeds every random choice: same seed, start time and options give the same records,
 *     byte for byte
 * @param drifts shifts applied by sample index
 * @param feedbackFraction fraction of samples (0..1) that also get a {@code Feedback} with the true label
 * @param feedbackDelay feedback for sample {@code i} is sent right after sample {@code i + delay}
 *     (a delay in samples, not time, so the stream stays deterministic at any rate)
 * @param junk malformed records to mix in, cycling through {@link JunkRecords#KINDS}
 * @param junkTooLargeBytes padding of the {@code too-large} junk; must exceed ingest's size limit
 * @param startMillis record and event timestamp of sample 0; sample {@code i} is stamped
 *     {@code startMillis + i * 1000 / rate} (or {@code + i} at rate 0)
 * @param progress show a progress bar on stderr
 */
public record ReplayConfig(
    String dataset,
    String runId,
    int limit,
    double rate,
    long seed,
    List<DriftSpec> drifts,
    double feedbackFraction,
    int feedbackDelay,
    int junk,
    int junkTooLargeBytes,
    long startMillis,
    boolean progress) {

  public static final int DEFAULT_JUNK_TOO_LARGE_BYTES = IngestConfig.DEFAULT_MAX_SAMPLE_BYTES + 1;

  /**
   * @throws IllegalArgumentException naming the field and value when one is invalid
   */
  public ReplayConfig {
    if (dataset == null || !dataset.contains(":")) {
      throw new IllegalArgumentException("dataset '" + dataset + "' must be NAME:SPLIT, e.g. mnist:test");
    }
    if (runId == null || !runId.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("runId '" + runId + "' must be non-empty and use only [A-Za-z0-9._-]");
    }
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0, got " + limit);
    }
    if (!(rate >= 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("rate must be finite and >= 0, got " + rate);
    }
    drifts = drifts == null ? List.of() : List.copyOf(drifts);
    if (!(feedbackFraction >= 0 && feedbackFraction <= 1)) {
      throw new IllegalArgumentException("feedbackFraction must be in [0, 1], got " + feedbackFraction);
    }
    if (feedbackDelay < 0) {
      throw new IllegalArgumentException("feedbackDelay must be >= 0, got " + feedbackDelay);
    }
    if (junk < 0) {
      throw new IllegalArgumentException("junk must be >= 0, got " + junk);
    }
    if (junkTooLargeBytes <= 0) {
      throw new IllegalArgumentException("junkTooLargeBytes must be > 0, got " + junkTooLargeBytes);
    }
    if (startMillis < 0) {
      throw new IllegalArgumentException("startMillis must be >= 0, got " + startMillis);
    }
  }

  /** Whole dataset, as fast as possible, no drift, feedback or junk, no progress bar. */
  public static ReplayConfig of(String dataset, String runId, long seed, long startMillis) {
    return new ReplayConfig(
        dataset, runId, 0, 0, seed, List.of(), 0, 0, 0, DEFAULT_JUNK_TOO_LARGE_BYTES, startMillis, false);
  }

  public ReplayConfig withLimit(int n) {
    return new ReplayConfig(dataset, runId, n, rate, seed, drifts, feedbackFraction, feedbackDelay, junk, junkTooLargeBytes, startMillis, progress);
  }

  public ReplayConfig withRate(double perSecond) {
    return new ReplayConfig(dataset, runId, limit, perSecond, seed, drifts, feedbackFraction, feedbackDelay, junk, junkTooLargeBytes, startMillis, progress);
  }

  public ReplayConfig withDrifts(List<DriftSpec> specs) {
    return new ReplayConfig(dataset, runId, limit, rate, seed, specs, feedbackFraction, feedbackDelay, junk, junkTooLargeBytes, startMillis, progress);
  }

  public ReplayConfig withFeedback(double fraction, int delay) {
    return new ReplayConfig(dataset, runId, limit, rate, seed, drifts, fraction, delay, junk, junkTooLargeBytes, startMillis, progress);
  }

  public ReplayConfig withJunk(int n, int tooLargeBytes) {
    return new ReplayConfig(dataset, runId, limit, rate, seed, drifts, feedbackFraction, feedbackDelay, n, tooLargeBytes, startMillis, progress);
  }

  public ReplayConfig withProgress(boolean show) {
    return new ReplayConfig(dataset, runId, limit, rate, seed, drifts, feedbackFraction, feedbackDelay, junk, junkTooLargeBytes, startMillis, show);
  }
}
