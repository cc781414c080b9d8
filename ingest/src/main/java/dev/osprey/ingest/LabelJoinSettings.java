package dev.osprey.ingest;

import dev.osprey.core.config.ConfigSource;
import java.time.Duration;

/**
 * Whether {@code osprey ingest serve} runs the {@link LabelJoinTopology label joins} beside the
 * validation topologies (as their own Streams application, {@link IngestService#labelJoins}), and
 * their window. Validated at construction.
 *
 * @param enabled run the joins (default true: without them no outcomes reach the monitor)
 * @param window how long a sample, prediction or label waits for its partner (stream time), > 0
 */
public record LabelJoinSettings(boolean enabled, Duration window) {
  /** Config key: run the label joins ({@code true}/{@code false}). */
  public static final String KEY_ENABLED = "ingest.joins.enabled";
  /** Config key: the join window, ISO-8601 ({@code PT1H}). */
  public static final String KEY_WINDOW = "ingest.join.window";

  /** @throws IllegalArgumentException naming the field and the value when the window is not positive */
  public LabelJoinSettings {
    if (window == null || window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("join window must be > 0, got " + window);
    }
  }

  /** Joins on, window {@link LabelJoinTopology#DEFAULT_WINDOW}. */
  public static LabelJoinSettings defaults() {
    return new LabelJoinSettings(true, LabelJoinTopology.DEFAULT_WINDOW);
  }

  /**
   * Reads {@value #KEY_ENABLED} and {@value #KEY_WINDOW}.
   *
   * @throws IllegalArgumentException naming the key and value when one is invalid
   */
  public static LabelJoinSettings from(ConfigSource source) {
    Duration window = source.getDuration(KEY_WINDOW, LabelJoinTopology.DEFAULT_WINDOW);
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("config '" + KEY_WINDOW + "' must be a positive duration, got '" + window + "'");
    }
    return new LabelJoinSettings(source.getBoolean(KEY_ENABLED, true), window);
  }
}
