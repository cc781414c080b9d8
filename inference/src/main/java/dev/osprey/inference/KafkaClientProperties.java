package dev.osprey.inference;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/** Client configs of the service's consumers and producers, on top of the base Kafka properties. */
final class KafkaClientProperties {
  private KafkaClientProperties() {}

  /** A consumer that sees committed records only, commits nothing by itself and starts at the beginning. */
  static Properties readCommittedConsumer(Properties kafka, String clientId) {
    Properties p = copy(kafka);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return p;
  }

  /** An idempotent producer acknowledged by all in-sync replicas. */
  static Properties idempotentProducer(Properties kafka, String clientId) {
    Properties p = copy(kafka);
    if (clientId != null) {
      p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    }
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return p;
  }

  private static Properties copy(Properties kafka) {
    Properties p = new Properties();
    p.putAll(kafka);
    return p;
  }
}
