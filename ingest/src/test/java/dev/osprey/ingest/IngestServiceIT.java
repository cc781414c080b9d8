package dev.osprey.ingest;

import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.service.Health;
import dev.osprey.core.service.ServiceStartException;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.ingest.replay.JunkRecords;
import dev.osprey.ingest.replay.ReplayConfig;
import dev.osprey.ingest.replay.ReplayProducer;
import dev.osprey.ingest.replay.ReplayRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Ingest against a real broker: the acceptance test of the validation service. */
class IngestServiceIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final int MAX_BYTES = 16 * 1024;
  private static final long START = 1_732_350_000_000L;

  @TempDir Path stateDir;

  private IngestConfig config(String appId) {
    return new IngestConfig(appId, kafka.clientProperties(), MAX_BYTES, Duration.ofMinutes(10), stateDir, Duration.ofSeconds(60));
  }

  /** Reads a topic from the beginning, committed records only, accumulating across polls. */
  private final class TopicReader implements AutoCloseable {
    final KafkaConsumer<String, byte[]> consumer;
    final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();

    TopicReader(Topic<String, ?> topic) {
      Properties p = kafka.clientProperties();
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> parts = consumer.partitionsFor(topic.name()).stream()
          .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
    }

    int poll() {
      consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      return records.size();
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  @Test
  void acceptance_tenThousandMnistSamplesAndAThousandJunkRecords() throws Exception {
    Topics topics = new Topics("accept.", new EventCodec());
    kafka.createTopics(topics, 3);
    ImageDataset train = new Datasets(stateDir).load("fixture:train");
    ReplayConfig replay = ReplayConfig.of("fixture:train", "acc", 7, START)
        .withJunk(1000, 20_000)
        .withFeedback(0.1, 50);
    // What the replay will send, from the same deterministic stream.
    Set<String> junkKeys = new HashSet<>();
    int feedbackSent = 0;
    for (var it = new ReplayProducer(replay, topics, train).stream(); it.hasNext(); ) {
      ReplayRecord r = it.next();
      if (r.kind() == ReplayRecord.Kind.JUNK) {
        junkKeys.add(r.key());
      } else if (r.kind() == ReplayRecord.Kind.FEEDBACK) {
        feedbackSent++;
      }
    }

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (IngestService service = new IngestService(config("accept-ingest"), topics, registry);
        TopicReader samples = new TopicReader(topics.samples());
        TopicReader dlq = new TopicReader(topics.dlq());
        TopicReader feedback = new TopicReader(topics.feedback())) {
      service.start();
      assertEquals(KafkaStreams.State.RUNNING, service.state());
      assertEquals(new Health(Health.Status.READY, ""), service.health());

      ReplayProducer.Summary sent;
      try (Producer<String, byte[]> producer = ReplayProducer.newKafkaProducer(kafka.clientProperties(), topics)) {
        sent = new ReplayProducer(replay, topics, train).run(producer);
      }
      assertEquals(10_000, sent.samples());
      assertEquals(1000, sent.junkTotal());
      assertEquals(feedbackSent, sent.feedback());

      int fbWanted = feedbackSent;
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
          .failFast("ingest went to ERROR", () -> service.state() == KafkaStreams.State.ERROR)
          .conditionEvaluationListener(c -> {
            if (!c.isSatisfied() && c.getElapsedTimeInMS() % 30_000 < 100) {
              System.err.printf("after %d ms: samples %d, dlq %d, feedback %d, ingest %s%n", c.getElapsedTimeInMS(),
                  samples.records.size(), dlq.records.size(), feedback.records.size(), service.state());
            }
          })
          .until(() -> samples.poll() >= 10_000 && dlq.poll() >= 1000 && feedback.poll() >= fbWanted);
      // Then nothing more arrives.
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
          .until(() -> samples.poll() == 10_000 && dlq.poll() == 1000 && feedback.poll() == fbWanted);

      EventCodec codec = new EventCodec();
      Set<String> ids = new HashSet<>();
      for (ConsumerRecord<String, byte[]> r : samples.records) {
        Sample s = codec.decode(r.value(), Sample.class);
        assertEquals(s.id(), r.key());
        assertTrue(ids.add(s.id()), "id twice: " + s.id());
      }
      assertEquals(10_000, ids.size());

      Map<String, Integer> perReason = new HashMap<>();
      Set<String> dlqKeys = new HashSet<>();
      for (ConsumerRecord<String, byte[]> r : dlq.records) {
        String reason = DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON);
        perReason.merge(reason, 1, Integer::sum);
        dlqKeys.add(r.key());
        assertEquals(topics.samplesRaw().name(), DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_TOPIC));
        assertTrue(Long.parseLong(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_OFFSET)) >= 0);
      }
      Map<String, Integer> expected = new HashMap<>();
      for (RejectReason reason : JunkRecords.KINDS) {
        expected.put(reason.code(), JunkRecords.count(1000, reason));
      }
      assertEquals(expected, perReason);
      assertEquals(112, perReason.get("not-json"));
      assertEquals(junkKeys, dlqKeys);

      for (ConsumerRecord<String, byte[]> r : feedback.records) {
        Feedback f = codec.decode(r.value(), Feedback.class);
        assertEquals(f.sampleId(), r.key());
        int i = Integer.parseInt(f.sampleId().substring("acc-".length()));
        assertEquals(train.label(i), f.label());
      }

      // Counters are not transactional: a retried batch may count twice, never less.
      assertTrue(registry.get(IngestMetrics.VALIDATED).tag("topic", topics.samplesRaw().name()).counter().count() >= 10_000);
      assertTrue(registry.get(IngestMetrics.REJECTED).tag("reason", "duplicate-id").counter().count() >= 111);
      // Kafka Streams' own metrics are bound beside Osprey's
      assertTrue(registry.getMeters().stream().anyMatch(m -> m.getId().getName().startsWith("kafka.stream.")),
          "Kafka Streams metrics bound");
    }
  }

  @Test
  void aHandWrittenJsonSampleFromAPlainStringProducerPasses() throws Exception {
    Topics topics = new Topics("hand.", new EventCodec());
    kafka.createTopics(topics, 1);
    byte[] pixels = new Datasets(stateDir).load("fixture:test").image(0);
    String json = RawEvents.handWritten(pixels);
    try (IngestService service = new IngestService(config("hand-ingest"), topics, new SimpleMeterRegistry());
        TopicReader samples = new TopicReader(topics.samples());
        TopicReader feedback = new TopicReader(topics.feedback())) {
      service.start();
      Properties p = kafka.clientProperties();
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>(topics.samplesRaw().name(), "sample-000001", json)).get();
        producer.send(new ProducerRecord<>(topics.feedbackRaw().name(), "sample-000001", RawEvents.HAND_WRITTEN_FEEDBACK)).get();
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> samples.poll() >= 1 && feedback.poll() >= 1);
      EventCodec codec = new EventCodec();
      assertEquals(
          Sample.ofTensor("sample-000001", 1732350000000L, Tensor.ofUint8(pixels, 1, 28, 28), Map.of("source", "camera-7")),
          codec.decode(samples.records.get(0).value(), Sample.class));
      assertEquals(Feedback.of("sample-000001", 7, "annotator-3", 1732350060000L),
          codec.decode(feedback.records.get(0).value(), Feedback.class));
    }
  }

  @Test
  void startFailsClearlyWhenSourceTopicsAreMissing() {
    Topics topics = new Topics("missing.", new EventCodec());
    IngestService service = new IngestService(config("missing-ingest"), topics, new SimpleMeterRegistry());
    ServiceStartException e = assertThrows(ServiceStartException.class, service::start);
    assertTrue(e.getMessage().startsWith("topics [missing.osprey.samples.raw, missing.osprey.feedback.raw] do not exist"),
        e.getMessage());
    service.close();
    service.close();
  }

  /** A valid sample with {@code headerBytes} of highly compressible headers, in 100 KB headers. */
  private static ProducerRecord<String, byte[]> withBulkyHeaders(String topic, String id, int headerBytes) {
    RawEvents events = new RawEvents();
    ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, id, events.encode(events.sample(id, 1)));
    byte[] chunk = "x".repeat(100_000).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    for (int left = headerBytes, i = 0; left > 0; left -= chunk.length, i++) {
      r.headers().add("bulk-" + i, left >= chunk.length ? chunk : java.util.Arrays.copyOf(chunk, left));
    }
    return r;
  }

  private static void awaitDeadLetterAndNext(TopicReader samples, TopicReader dlq, IngestService service) {
    // the stream thread dying once on the refused write is the mechanism under test (the record is
    // dead-lettered when its replacement reads it again), not a failure: Awaitility must not catch it
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).dontCatchUncaughtExceptions()
        .failFast("ingest went to ERROR", () -> service.state() == KafkaStreams.State.ERROR)
        .until(() -> samples.poll() >= 1 && dlq.poll() >= 1);
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
        .dontCatchUncaughtExceptions()
        .until(() -> samples.poll() == 1 && dlq.poll() == 1);
  }

  /**
   * Issue 8, item 1: 1.1 MB of headers, gzipped so the broker takes the raw record, made the output
   * record too large for the producer; the stream thread died on it and its replacement too, forever.
   */
  @Test
  void aSampleWithOverAMegabyteOfGzippedHeadersIsDeadLetteredAndThePartitionGoesOn() throws Exception {
    Topics topics = new Topics("poison.", new EventCodec());
    kafka.createTopics(topics, 1);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (IngestService service = new IngestService(config("poison-ingest"), topics, registry);
        TopicReader samples = new TopicReader(topics.samples());
        TopicReader dlq = new TopicReader(topics.dlq())) {
      service.start();
      Properties p = kafka.clientProperties();
      p.put("compression.type", "gzip");
      p.put("max.request.size", Integer.toString(8 << 20));
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
          new org.apache.kafka.common.serialization.ByteArraySerializer())) {
        producer.send(withBulkyHeaders(topics.samplesRaw().name(), "poison-1", 1_100_000)).get();
        RawEvents events = new RawEvents();
        producer.send(new ProducerRecord<>(topics.samplesRaw().name(), "good-1", events.encode(events.sample("good-1", 2))))
            .get();
      }
      awaitDeadLetterAndNext(samples, dlq, service);

      assertEquals("good-1", samples.records.get(0).key());
      ConsumerRecord<String, byte[]> dead = dlq.records.get(0);
      assertEquals("poison-1", dead.key());
      assertEquals("too-large", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.REASON));
      String detail = DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.DETAIL);
      assertTrue(detail.startsWith("the output record would be 1"), detail);
      long size = dev.osprey.core.kafka.RecordSize.upperBound(dead.key().length(), dead.value().length, dead.headers());
      assertTrue(size <= WriteLimits.DEFAULT_MAX_REQUEST_SIZE, "dead letter of " + size + " bytes");
      // 11 headers of 100 KB: ten fit in the 1 MiB budget beside the value, the eleventh is dropped
      assertTrue(DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.HEADERS_DROPPED).startsWith("1 headers"),
          DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.HEADERS_DROPPED));
      assertEquals(0, service.recentThreadReplacements(), "no stream thread died");
      assertEquals(Health.Status.READY, service.health().status());
    }
  }

  /**
   * The backstop: the samples topic's limit is lowered after ingest started (its own check still
   * uses the old one), so the broker refuses the output. The task fails once, the record is
   * dead-lettered when read again, and the partition goes on.
   */
  @Test
  void outputTheBrokerRefusesIsDeadLetteredWhenTheTaskReadsItAgain() throws Exception {
    Topics topics = new Topics("refused.", new EventCodec());
    kafka.createTopics(topics, 1);
    try (IngestService service = new IngestService(config("refused-ingest"), topics, new SimpleMeterRegistry());
        TopicReader samples = new TopicReader(topics.samples());
        TopicReader dlq = new TopicReader(topics.dlq())) {
      service.start();
      try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(kafka.clientProperties())) {
        var resource = new org.apache.kafka.common.config.ConfigResource(
            org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topics.samples().name());
        admin.incrementalAlterConfigs(Map.of(resource, List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
            new org.apache.kafka.clients.admin.ConfigEntry("max.message.bytes", "32768"),
            org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();
      }
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(),
          new org.apache.kafka.common.serialization.ByteArraySerializer())) {
        producer.send(withBulkyHeaders(topics.samplesRaw().name(), "refused-1", 40_000)).get();
        RawEvents events = new RawEvents();
        producer.send(new ProducerRecord<>(topics.samplesRaw().name(), "good-2", events.encode(events.sample("good-2", 2))))
            .get();
      }
      awaitDeadLetterAndNext(samples, dlq, service);
      assertEquals("good-2", samples.records.get(0).key());
      ConsumerRecord<String, byte[]> dead = dlq.records.get(0);
      assertEquals("refused-1", dead.key());
      assertEquals("too-large", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.REASON));
      String detail = DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.DETAIL);
      assertTrue(detail.startsWith("Kafka refused the output to refused.osprey.samples"), detail);
      assertTrue(service.recentThreadReplacements() <= 1, "at most the one failure that marked the record");
    }
  }
}
