package dev.osprey.broker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a topic from the beginning, committed records only (read_committed), accumulating across
 * {@link #poll()}s: what a downstream consumer of an exactly-once service sees.
 */
public final class CommittedReader implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final List<TopicPartition> partitions;
  private final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();

  public CommittedReader(Properties clientProperties, String topic) {
    Properties p = new Properties();
    p.putAll(clientProperties);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    partitions = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Polls once; returns how many records were read in all. */
  public int poll() {
    consumer.poll(Duration.ofMillis(100)).forEach(records::add);
    return records.size();
  }

  /**
   * Whether every partition was read to its last stable offset (the end of what is committed or
   * aborted; an open transaction holds it back).
   */
  public boolean atEnd() {
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
    return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
  }

  /** Everything read so far, in the order read. */
  public List<ConsumerRecord<String, byte[]>> records() {
    return records;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
