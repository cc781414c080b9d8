package dev.osprey.trainer.service;

import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.service.ServiceStartException;
import dev.osprey.core.topic.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** A topic's committed records from the beginning to its end offsets at the time of the call. */
final class TopicSnapshot {
  private TopicSnapshot() {}

  /**
   * @throws ServiceStartException if the end is not reached within {@code timeout}
   */
  static <K, V> List<ConsumerRecord<K, V>> read(KafkaClients kafka, Topic<K, V> topic, String clientId, Duration timeout)
      throws ServiceStartException {
    List<ConsumerRecord<K, V>> out = new ArrayList<>();
    try (Consumer<K, V> consumer = kafka.readCommittedConsumer(topic, clientId, Map.of())) {
      List<TopicPartition> parts = partitions(consumer, topic.name(), timeout);
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!caughtUp(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw new ServiceStartException("could not read " + topic.name() + " to its end within " + timeout, null);
        }
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  static List<TopicPartition> partitions(Consumer<?, ?> consumer, String topic, Duration timeout) {
    List<TopicPartition> parts = new ArrayList<>();
    for (PartitionInfo p : consumer.partitionsFor(topic, timeout)) {
      parts.add(new TopicPartition(topic, p.partition()));
    }
    return parts;
  }

  static boolean caughtUp(Consumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
