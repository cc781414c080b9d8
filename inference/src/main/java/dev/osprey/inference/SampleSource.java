package dev.osprey.inference;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch source: the samples topic through one consumer in the service's group (read_committed,
 * static membership, no auto-commit; offsets commit in the sink's transactions). Polls, rewinds a
 * failed batch, and reports partitions it lost in a rebalance so their buffered records are
 * dropped. Used by the prediction loop's thread only (the consumer is not thread-safe), except
 * {@link #wakeup()}.
 */
final class SampleSource implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SampleSource.class);

  private final org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer;
  private final String topic;
  private final String instance;
  private volatile boolean subscribed;

  /** @param instance names this instance in logs (its transactional id) */
  SampleSource(org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer, String topic, String instance) {
    this.consumer = consumer;
    this.topic = topic;
    this.instance = instance;
  }

  /**
   * Joins the group. {@code onRevoked} gets the partitions taken away (revoked or lost) during a
   * later {@link #poll}: records of theirs still buffered were never committed, and their new owner
   * reads them again.
   */
  void subscribe(Consumer<Collection<TopicPartition>> onRevoked) {
    consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        onRevoked.accept(partitions);
      }

      @Override
      public void onPartitionsLost(Collection<TopicPartition> partitions) {
        onRevoked.accept(partitions);
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        LOG.info("inference {} assigned {}", instance, partitions);
      }
    });
    subscribed = true;
  }

  boolean isSubscribed() {
    return subscribed;
  }

  /** The next records, or none when {@link #wakeup()} cut the wait short. */
  ConsumerRecords<String, byte[]> poll(Duration timeout) {
    try {
      return consumer.poll(timeout);
    } catch (WakeupException e) {
      return ConsumerRecords.empty(); // an HTTP request arrived or the loop stops: the caller looks at both
    }
  }

  /** Records between the position and the end of the assigned partitions. */
  long lag() {
    long lag = 0;
    for (TopicPartition tp : consumer.assignment()) {
      lag += consumer.currentLag(tp).orElse(0);
    }
    return lag;
  }

  /** Seeks every still-assigned partition of {@code records} back to its first record among them. */
  void rewind(List<ConsumerRecord<String, byte[]>> records) {
    Map<TopicPartition, Long> first = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
    }
    Set<TopicPartition> assigned = consumer.assignment();
    first.forEach((tp, offset) -> {
      if (assigned.contains(tp)) {
        consumer.seek(tp, offset);
      }
    });
  }

  /** The group generation the sink's transactions commit offsets for (a zombie's commit is refused). */
  ConsumerGroupMetadata groupMetadata() {
    return consumer.groupMetadata();
  }

  /** Ends a blocking {@link #poll} early; any thread. */
  void wakeup() {
    consumer.wakeup();
  }

  org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer() {
    return consumer;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
