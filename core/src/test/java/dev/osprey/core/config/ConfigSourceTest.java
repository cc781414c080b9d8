package dev.osprey.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigSourceTest {
  @Test
  void precedenceFileThenEnvThenFlags(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("osprey.properties");
    Files.writeString(file, """
        kafka.bootstrap.servers=file:9092
        kafka.security.protocol=SASL_SSL
        topics.partitions=6
        topics.prefix=prod-
        """);
    ConfigSource src = ConfigSource.load(
        Optional.of(file),
        Map.of("OSPREY_TOPICS_PARTITIONS", "8", "OSPREY_KAFKA_SASL_MECHANISM", "PLAIN", "HOME", "/x"),
        Map.of("kafka.bootstrap.servers", "flag:9092"));
    OspreyConfig cfg = OspreyConfig.from(src);
    assertEquals("flag:9092", cfg.kafka().bootstrapServers());
    assertEquals(8, cfg.topics().partitions());
    assertEquals("prod-", cfg.topics().prefix());
    var props = cfg.kafka().clientProperties();
    assertEquals("SASL_SSL", props.get("security.protocol"));
    assertEquals("PLAIN", props.get("sasl.mechanism"));
    assertEquals("flag:9092", props.get("bootstrap.servers"));
    assertEquals(3, props.size());
  }

  @Test
  void defaultsAndClearErrors() {
    OspreyConfig cfg = OspreyConfig.from(ConfigSource.of(Map.of()));
    assertEquals(KafkaSettings.DEFAULT_BOOTSTRAP, cfg.kafka().bootstrapServers());
    assertEquals(3, cfg.topics().partitions());
    assertEquals(Path.of("data"), cfg.paths().dataDir());
    var e = assertThrows(IllegalArgumentException.class,
        () -> OspreyConfig.from(ConfigSource.of(Map.of("topics.partitions", "many"))));
    assertEquals("config 'topics.partitions' must be an integer, got 'many'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> OspreyConfig.from(ConfigSource.of(Map.of("topics.partitions", "0"))));
    assertEquals("topics.partitions must be >= 1, got 0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new MetricsSettings("127.0.0.1", 70000));
  }

  @Test
  void envNames() {
    assertEquals("kafka.sasl.jaas.config", ConfigSource.envToKey("OSPREY_KAFKA_SASL_JAAS_CONFIG"));
  }
}
