package dev.osprey.core.config;

import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * How to reach Kafka: bootstrap servers plus any client property passed through unchanged
 * ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}, ...), so Osprey runs against a secured
 * cluster with no code change. Every service derives its producer/consumer/streams config from
 * {@link #clientProperties()}.
 *
 * @param bootstrapServers host:port list
 * @param passthrough extra client properties (keys as Kafka spells them)
 */
public record KafkaSettings(String bootstrapServers, Map<String, String> passthrough) {
  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";

  public KafkaSettings {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("kafka.bootstrap.servers must not be empty");
    }
    passthrough = Map.copyOf(passthrough);
  }

  /** Reads {@code kafka.bootstrap.servers} and every other {@code kafka.*} key as a client property. */
  public static KafkaSettings from(ConfigSource config) {
    Map<String, String> all = new TreeMap<>(config.withPrefix("kafka"));
    String bootstrap = all.remove("bootstrap.servers");
    return new KafkaSettings(bootstrap == null ? DEFAULT_BOOTSTRAP : bootstrap, all);
  }

  /** A fresh Properties: bootstrap.servers plus the passthrough properties. */
  public Properties clientProperties() {
    Properties p = new Properties();
    p.putAll(passthrough);
    p.put("bootstrap.servers", bootstrapServers);
    return p;
  }
}
