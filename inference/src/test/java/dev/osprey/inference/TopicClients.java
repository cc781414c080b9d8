package dev.osprey.inference;

import dev.osprey.model.serving.TestModels;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.topic.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Producing samples and activations, and reading predictions (read_committed), for tests and the benchmark. */
public final class TopicClients {
  private static final EventCodec CODEC = new EventCodec();

  private TopicClients() {}

  public static KafkaProducer<String, byte[]> producer(Properties base) {
    Properties p = new Properties();
    p.putAll(base);
    p.put("enable.idempotence", "true");
    p.put("acks", "all");
    p.put("linger.ms", "5");
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  /** Sends the samples keyed by id and flushes. */
  public static void sendSamples(KafkaProducer<String, byte[]> producer, Topics topics, List<Sample> samples) {
    for (Sample s : samples) {
      producer.send(new ProducerRecord<>(topics.samples().name(), s.id(), CODEC.encode(s)));
    }
    producer.flush();
  }

  /** Sends raw bytes to the samples topic (poison records) and flushes. */
  public static void sendRaw(KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value) {
    producer.send(new ProducerRecord<>(topic, key, value));
    producer.flush();
  }

  public static void activate(KafkaProducer<String, byte[]> producer, Topics topics, int version) {
    ModelActivation a = ModelActivation.of(TestModels.NAME, version, System.currentTimeMillis(), "test", "test");
    sendRaw(producer, topics.models().name(), a.modelName(), CODEC.encode(a));
  }

  /** A read_committed consumer of one topic from its beginning, collecting records as they are polled. */
  public static final class Collector implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    private final Map<String, Prediction> byId = new HashMap<>();
    private final boolean predictions;

    public Collector(Properties base, String topic, boolean predictions) {
      Properties p = new Properties();
      p.putAll(base);
      p.put("isolation.level", "read_committed");
      p.put("auto.offset.reset", "earliest");
      p.put("enable.auto.commit", "false");
      p.put("max.poll.records", "5000");
      consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      this.predictions = predictions;
    }

    /** Polls once (up to 200 ms). */
    public Collector poll() {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        records.add(r);
        if (predictions) {
          byId.put(r.key(), CODEC.decode(r.value(), Prediction.class));
        }
      }
      return this;
    }

    /** Distinct keys matching {@code filter} seen so far. */
    public int distinct(Predicate<String> filter) {
      Set<String> ids = new HashSet<>();
      for (ConsumerRecord<String, byte[]> r : records) {
        if (filter.test(r.key())) {
          ids.add(r.key());
        }
      }
      return ids.size();
    }

    /** Records (duplicates included) whose key matches. */
    public List<ConsumerRecord<String, byte[]>> records(Predicate<String> filter) {
      return records.stream().filter(r -> filter.test(r.key())).toList();
    }

    /** The last prediction seen per sample id. */
    public Map<String, Prediction> predictions() {
      return byId;
    }

    /** True when this consumer's position reached the topic's committed end (last stable offset). */
    public boolean atEnd() {
      Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
      for (var e : end.entrySet()) {
        if (consumer.position(e.getKey()) < e.getValue()) {
          return false;
        }
      }
      return true;
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  /** True when the consumer group has committed offsets up to the end of every partition of {@code topic}. */
  public static boolean groupCaughtUp(Properties base, String group, String topic) throws Exception {
    try (Admin admin = Admin.create(base)) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions()
          .forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
      var ends = admin.listOffsets(request).all().get(10, TimeUnit.SECONDS);
      for (var e : ends.entrySet()) {
        OffsetAndMetadata c = committed.get(e.getKey());
        if (e.getValue().offset() > 0 && (c == null || c.offset() < e.getValue().offset())) {
          return false;
        }
      }
      return true;
    }
  }
}
