package dev.osprey.core.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {
  private static Properties base() {
    Properties p = new Properties();
    p.put("bootstrap.servers", "127.0.0.1:9");
    p.put("security.protocol", "SASL_SSL");
    return p;
  }

  @Test
  void readCommittedConsumerCommitsNothingByItself() {
    Properties p = new KafkaClients(base()).readCommittedConsumerConfig("c-1", Map.of("group.id", "g"));
    assertEquals(Map.of("bootstrap.servers", "127.0.0.1:9", "security.protocol", "SASL_SSL", "client.id", "c-1",
        "isolation.level", "read_committed", "enable.auto.commit", "false", "auto.offset.reset", "earliest",
        "group.id", "g", "metric.reporters", ""), p);
  }

  @Test
  void transactionalProducerIsIdempotentWithAStableId() {
    Properties p = new KafkaClients(base()).transactionalProducerConfig("osprey-inference-0", "c-2",
        Map.of("linger.ms", "5"));
    assertEquals(Map.of("bootstrap.servers", "127.0.0.1:9", "security.protocol", "SASL_SSL", "client.id", "c-2",
        "enable.idempotence", "true", "acks", "all", "transactional.id", "osprey-inference-0", "linger.ms", "5",
        "metric.reporters", ""), p);
    Properties idempotent = new KafkaClients(base()).idempotentProducerConfig(null, Map.of());
    assertEquals(Map.of("bootstrap.servers", "127.0.0.1:9", "security.protocol", "SASL_SSL",
        "enable.idempotence", "true", "acks", "all", "metric.reporters", ""), idempotent);
  }

  @Test
  void noJmxReporterUnlessAskedFor() {
    assertEquals("", new KafkaClients(base()).base().getProperty("metric.reporters"));
    Properties jmx = base();
    jmx.put("metric.reporters", "org.apache.kafka.common.metrics.JmxReporter");
    assertEquals("org.apache.kafka.common.metrics.JmxReporter", new KafkaClients(jmx).base().getProperty("metric.reporters"));
  }

  @Test
  void bootstrapServersAreRequired() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KafkaClients(new Properties()));
    assertTrue(e.getMessage().contains("bootstrap.servers"), e.getMessage());
  }
}
