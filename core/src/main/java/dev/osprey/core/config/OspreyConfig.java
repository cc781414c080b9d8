package dev.osprey.core.config;

/**
 * The settings every Osprey process shares; service-specific records (ingest, inference, ...) read
 * their own keys from the same {@link ConfigSource}. Validated at construction.
 */
public record OspreyConfig(KafkaSettings kafka, TopicSettings topics, PathSettings paths, ConfigSource source) {
  public static OspreyConfig from(ConfigSource source) {
    return new OspreyConfig(KafkaSettings.from(source), TopicSettings.from(source), PathSettings.from(source), source);
  }
}
