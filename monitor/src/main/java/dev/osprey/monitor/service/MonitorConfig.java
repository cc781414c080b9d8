package dev.osprey.monitor.service;

import java.time.Duration;
import java.util.Objects;
import java.util.Properties;

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

  /** The Kafka properties (a copy). */
  @Override
  public Properties kafka() {
    Properties p = new Properties();
    p.putAll(kafka);
    return p;
  }
}
