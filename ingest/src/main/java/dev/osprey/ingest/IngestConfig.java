package dev.osprey.ingest;

import dev.osprey.core.config.ConfigSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;

/**
 * Configuration of the ingest service, validated at construction.
 *
 * @param applicationId Kafka Streams application id (consumer group, prefix of internal topics)
 * @param kafka base Kafka client properties: {@code bootstrap.servers} plus any pass-through
 *     settings (security.protocol, sasl.*, ssl.*); merged into the Streams config. Copied.
 * @param maxSampleBytes size limit of one raw event; larger ones go to the DLQ as {@code too-large}.
 *     The default sits below Kafka's default 1 MiB message limit, so an oversize event can reach
 *     ingest and be dead-lettered instead of being refused by the producer.
 * @param dedupeWindow a sample whose id was accepted less than this long before (record time) is a
 *     duplicate
 * @param stateDir Kafka Streams state directory (the dedupe store lives there)
 * @param startTimeout how long {@link IngestService#start()} waits for the RUNNING state
 */
public record IngestConfig(
    String applicationId,
    Properties kafka,
    int maxSampleBytes,
    Duration dedupeWindow,
    Path stateDir,
    Duration startTimeout) {

  public static final String DEFAULT_APPLICATION_ID = "osprey-ingest";
  public static final int DEFAULT_MAX_SAMPLE_BYTES = 512 * 1024;
  public static final Duration DEFAULT_DEDUPE_WINDOW = Duration.ofMinutes(10);
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

  /**
   * @throws IllegalArgumentException naming the field and value when one is invalid
   */
  public IngestConfig {
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
    if (maxSampleBytes <= 0) {
      throw new IllegalArgumentException("maxSampleBytes must be > 0, got " + maxSampleBytes);
    }
    if (dedupeWindow == null || dedupeWindow.isNegative() || dedupeWindow.isZero()) {
      throw new IllegalArgumentException("dedupeWindow must be > 0, got " + dedupeWindow);
    }
    if (stateDir == null) {
      throw new IllegalArgumentException("stateDir must be set, got null");
    }
    if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("startTimeout must be > 0, got " + startTimeout);
    }
  }

  /** A config with defaults for everything but the Kafka properties and the state directory. */
  public static IngestConfig of(Properties kafka, Path stateDir) {
    return new IngestConfig(
        DEFAULT_APPLICATION_ID, kafka, DEFAULT_MAX_SAMPLE_BYTES, DEFAULT_DEDUPE_WINDOW, stateDir, DEFAULT_START_TIMEOUT);
  }

  /** Config keys this record is read from (see docs/ingest.md). */
  public static final String KEY_APPLICATION_ID = "ingest.application.id";
  public static final String KEY_MAX_SAMPLE_BYTES = "ingest.max.sample.bytes";
  public static final String KEY_DEDUPE_WINDOW = "ingest.dedupe.window";
  public static final String KEY_STATE_DIR = "ingest.state.dir";
  public static final String KEY_START_TIMEOUT = "ingest.start.timeout";
  public static final String DEFAULT_STATE_DIR = ".osprey/ingest";

  /**
   * Reads the {@code ingest.*} keys; durations are ISO-8601 ({@code PT10M}).
   *
   * @param kafka client properties, e.g. {@code OspreyConfig.kafka().clientProperties()}
   * @throws IllegalArgumentException naming the key and value when one is invalid
   */
  public static IngestConfig from(ConfigSource source, Properties kafka) {
    return new IngestConfig(
        source.get(KEY_APPLICATION_ID, DEFAULT_APPLICATION_ID),
        kafka,
        source.getInt(KEY_MAX_SAMPLE_BYTES, DEFAULT_MAX_SAMPLE_BYTES),
        source.getDuration(KEY_DEDUPE_WINDOW, DEFAULT_DEDUPE_WINDOW),
        Path.of(source.get(KEY_STATE_DIR, DEFAULT_STATE_DIR)),
        source.getDuration(KEY_START_TIMEOUT, DEFAULT_START_TIMEOUT));
  }

  /** A copy of the Kafka properties (the record's own copy is not handed out for mutation). */
  @Override
  public Properties kafka() {
    Properties copy = new Properties();
    copy.putAll(kafka);
    return copy;
  }

  public IngestConfig withMaxSampleBytes(int bytes) {
    return new IngestConfig(applicationId, kafka, bytes, dedupeWindow, stateDir, startTimeout);
  }

  public IngestConfig withDedupeWindow(Duration window) {
    return new IngestConfig(applicationId, kafka, maxSampleBytes, window, stateDir, startTimeout);
  }

  public IngestConfig withApplicationId(String id) {
    return new IngestConfig(id, kafka, maxSampleBytes, dedupeWindow, stateDir, startTimeout);
  }
}
