package dev.osprey.monitor.service;

import dev.osprey.core.config.ConfigSource;
import dev.osprey.monitor.drift.DriftConfig;
import dev.osprey.monitor.quality.QualityConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Configuration of the monitor service, validated at construction.
 *
 * @param applicationId consumer group, transactional id prefix and state topic name
 *     ({@code <topic prefix><applicationId>.state}); letters, digits, '.', '_' and '-'
 * @param kafka base Kafka client properties: {@code bootstrap.servers} plus pass-through settings. Copied.
 * @param settings what is computed (detectors, quality windows, CBPE, input-summary join)
 * @param commitInterval longest time between transactions (each commits drift reports, the changed
 *     models' state and the consumed offsets together), > 0
 * @param startTimeout how long {@link MonitorService#start()} may take to check topics and read the saved state
 */
public record MonitorConfig(
    String applicationId, Properties kafka, MonitorSettings settings, Duration commitInterval, Duration startTimeout) {

  public static final String KEY_APPLICATION_ID = "monitor.application.id";
  public static final String KEY_ERT = "monitor.drift.ert";
  public static final String KEY_WINDOW = "monitor.drift.window";
  public static final String KEY_CALIBRATION_ALARMS = "monitor.drift.calibration.alarms";
  public static final String KEY_SEED = "monitor.drift.seed";
  public static final String KEY_DISABLED = "monitor.drift.disabled";
  public static final String KEY_COUNT_WINDOW = "monitor.quality.count.window";
  public static final String KEY_TIME_WINDOW = "monitor.quality.time.window";
  public static final String KEY_ESTIMATE_WINDOW = "monitor.estimate.window";
  public static final String KEY_VERSIONS_KEPT = "monitor.versions.kept";
  public static final String KEY_SUMMARY_BUFFER = "monitor.input.summaries.buffer";
  public static final String KEY_COMMIT_INTERVAL = "monitor.commit.interval";
  public static final String KEY_START_TIMEOUT = "monitor.start.timeout";
  public static final String DEFAULT_APPLICATION_ID = "osprey-monitor";
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(500);
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

  /** @throws IllegalArgumentException naming the field and the value when one is invalid */
  public MonitorConfig {
    if (applicationId == null || !applicationId.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException(
          "applicationId '" + applicationId + "' must be non-empty and use only [A-Za-z0-9._-]");
    }
    Objects.requireNonNull(kafka, "kafka");
    Properties copy = new Properties();
    copy.putAll(kafka);
    kafka = copy;
    Object bootstrap = kafka.get("bootstrap.servers");
    if (bootstrap == null || bootstrap.toString().isBlank()) {
      throw new IllegalArgumentException("kafka 'bootstrap.servers' must be set, got " + bootstrap);
    }
    if (settings == null) {
      throw new IllegalArgumentException("settings must be set");
    }
    if (commitInterval == null || commitInterval.isNegative() || commitInterval.isZero()) {
      throw new IllegalArgumentException("commitInterval must be > 0, got " + commitInterval);
    }
    if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("startTimeout must be > 0, got " + startTimeout);
    }
  }

  /**
   * From {@code monitor.*} keys (see docs/configuration.md); unset keys take the defaults.
   *
   * @throws IllegalArgumentException naming the key and value when one is invalid
   */
  public static MonitorConfig from(ConfigSource source, Properties kafka) {
    DriftConfig d = DriftConfig.defaults();
    String ert = source.get(KEY_ERT, Double.toString(d.ertSamples()));
    double ertSamples;
    try {
      ertSamples = Double.parseDouble(ert);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(KEY_ERT + " must be a number of samples, got '" + ert + "'", e);
    }
    Set<String> disabled = Arrays.stream(source.get(KEY_DISABLED, "").split(","))
        .map(String::trim).filter(x -> !x.isEmpty()).collect(Collectors.toSet());
    DriftConfig drift = d.withErt(ertSamples)
        .withWindow(source.getInt(KEY_WINDOW, d.windowSize()))
        .withCalibration(source.getInt(KEY_CALIBRATION_ALARMS, d.calibrationAlarms()), d.calibrationPathLength())
        .withSeed(source.getLong(KEY_SEED, d.seed()))
        .withDisabled(disabled);
    QualityConfig q = QualityConfig.defaults();
    QualityConfig quality = new QualityConfig(source.getInt(KEY_COUNT_WINDOW, q.countWindow()),
        source.getDuration(KEY_TIME_WINDOW, Duration.ofMillis(q.timeWindowMillis())).toMillis(), q.eceBins());
    MonitorSettings m = MonitorSettings.defaults();
    MonitorSettings settings = new MonitorSettings(drift, quality, source.getInt(KEY_ESTIMATE_WINDOW, m.estimateWindow()),
        source.getInt(KEY_VERSIONS_KEPT, m.versionsKept()), source.getInt(KEY_SUMMARY_BUFFER, m.summaryBuffer()));
    return new MonitorConfig(source.get(KEY_APPLICATION_ID, DEFAULT_APPLICATION_ID), kafka, settings,
        source.getDuration(KEY_COMMIT_INTERVAL, DEFAULT_COMMIT_INTERVAL),
        source.getDuration(KEY_START_TIMEOUT, DEFAULT_START_TIMEOUT));
  }

  /** The Kafka properties (a copy). */
  @Override
  public Properties kafka() {
    Properties p = new Properties();
    p.putAll(kafka);
    return p;
  }
}
