package dev.osprey.explain.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.ChildJvm;
import dev.osprey.broker.CommittedReader;
import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.broker.PacedSender;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.service.Health;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.Method;
import dev.osprey.explain.PublishedDigits;
import dev.osprey.explain.TrainedDigits;
import dev.osprey.explain.sampling.CpuBudget;
import dev.osprey.explain.sampling.SamplingPolicy;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills (SIGKILL) the explain service mid-stream, after a number of explanations drawn from a
 * seeded random, starts another on the same consumer group and checks what the service promises
 * (docs/explain.md): explanations are written <b>at least once</b>. Every chosen prediction (here
 * every prediction: the rate is unbounded) is explained, by the version that made it, also those
 * that waited in the join for their sample; the killed service's explanations after its last commit
 * may be repeated, and a repeat agrees with the first.
 */
class ExplainKillRestartIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final long SEED = 20261129L;
  static final int PREDICTIONS = 200;

  @TempDir Path tmp;

  /**
   * The killed and the restarted service: every prediction chosen, the gradient only (fast). No CPU
   * budget: the test counts every chosen prediction's explanation, which a budget would thin out.
   */
  static ExplainConfig config() {
    return ExplainConfig.of(PublishedDigits.NAME)
        .withSampling(new SamplingPolicy.Config(1e6, 1_000_000, 0.5, false, false, 10_000))
        .withBudget(CpuBudget.Config.off())
        .withMethods(List.of(Method.GRADIENT))
        .withHttp("127.0.0.1", 0)
        .withOffsetReset("earliest");
  }

  /**
   * The killed member leaves the group after its session timeout: 6 s (the broker's minimum)
   * instead of Kafka's 45 s keeps the test short.
   */
  static Properties kafka(Properties base) {
    Properties p = new Properties();
    p.putAll(base);
    p.put("session.timeout.ms", "6000");
    p.put("heartbeat.interval.ms", "1000");
    return p;
  }

  @Test
  void sigkillMidStreamThenRestartExplainsEveryChosenPredictionAtLeastOnce() throws Exception {
    Topics topics = new Topics("kill.", new EventCodec());
    kafka.createTopics(topics, 2);
    ModelRegistry registry = new ModelRegistry(tmp.resolve("registry"));
    int v1 = PublishedDigits.publish(registry, tmp).manifest().version();
    DigitTraffic.activate(kafka.clientProperties(), topics, v1);
    int killAfter = PREDICTIONS / 5 + new Random(SEED).nextInt(PREDICTIONS * 2 / 5);
    System.out.printf("explain: seed %d, SIGKILL after %d of %d explanations%n", SEED, killAfter, PREDICTIONS);

    long t0 = System.nanoTime();
    PacedSender<String, byte[]> sender = null;
    try (CommittedReader explanations = new CommittedReader(kafka.clientProperties(), topics.explanations().name());
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(),
            new ByteArraySerializer())) {
      try (ChildJvm first = ChildJvm.start(ExplainProcessMain.class, tmp.resolve("explain.log"), "READY",
          Duration.ofMinutes(2), kafka.bootstrapServers(), topics.prefix(), registry.root().toString())) {
        System.out.printf("explain: child ready after %.1f s%n", (System.nanoTime() - t0) / 1e9);
        sender = PacedSender.start(producer, traffic(producer, topics, v1), 5, Duration.ofMillis(20));
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10))
            .until(() -> explanations.poll() >= killAfter);
        System.out.printf("explain: %d explained after %.1f s%n", explanations.records().size(),
            (System.nanoTime() - t0) / 1e9);
        first.kill();
      }
      // everything the killed service wrote (its producer is idempotent, not transactional)
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> explanations.poll() >= 0
          && explanations.atEnd());
      int atKill = explanations.records().size();
      System.out.printf("explain killed after %d explanations, %d of %d records sent%n", atKill, sender.sent(),
          PREDICTIONS);
      assertTrue(atKill < PREDICTIONS, "killed mid-stream, after " + atKill + " explanations");

      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      try (ExplainService second = new ExplainService(config(), topics, meters, registry,
          kafka(kafka.clientProperties()))) {
        second.start();
        System.out.printf("explain: restarted after %.1f s%n", (System.nanoTime() - t0) / 1e9);
        sender.awaitDone(Duration.ofMinutes(2));
        // the service's group committed the end of the predictions: their explanations were acknowledged
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> caughtUp(topics));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
          explanations.poll();
          return explanations.atEnd();
        });
        assertEquals(Health.Status.READY, second.health().status());
        int repeated = assertEveryPredictionExplained(explanations.records(), v1, meters);
        assertTrue(repeated <= atKill, repeated + " explanations repeated, more than the killed service wrote");
        System.out.printf("explain: at least once across the SIGKILL: %d predictions, %d explanations (%d repeated),"
            + " %.1f s%n", PREDICTIONS, explanations.records().size(), repeated, (System.nanoTime() - t0) / 1e9);
      }
    } finally {
      if (sender != null) {
        sender.close();
      }
    }
  }

  /**
   * Every one of the {@link #PREDICTIONS} predictions explained, by {@code version}, at least once
   * and at most twice (once per run), a repeat agreeing with the first; nothing skipped.
   *
   * @return how many explanations were repeats
   */
  static int assertEveryPredictionExplained(List<ConsumerRecord<String, byte[]>> records, int version,
      SimpleMeterRegistry meters) {
    EventCodec codec = new EventCodec();
    Map<String, Explanation> firstOf = new HashMap<>();
    Map<String, Integer> times = new HashMap<>();
    int repeated = 0;
    for (ConsumerRecord<String, byte[]> r : records) {
      Explanation e = codec.decode(r.value(), Explanation.class);
      assertEquals(r.key(), e.sampleId());
      assertEquals(version, e.modelVersion(), "the version that predicted " + e.sampleId());
      Explanation before = firstOf.putIfAbsent(e.sampleId(), e);
      times.merge(e.sampleId(), 1, Integer::sum);
      if (before != null) {
        repeated++;
        assertEquals(before.targetLabel(), e.targetLabel());
        assertAgree(before.attributions().toFloats(), e.attributions().toFloats(), e.sampleId());
      }
    }
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < PREDICTIONS; i++) {
      if (!firstOf.containsKey("s-" + i)) {
        missing.add("s-" + i);
      }
    }
    assertEquals(List.of(), missing, "every chosen prediction explained at least once (skipped after the restart: "
        + skippedByReason(meters) + ")");
    assertTrue(times.values().stream().allMatch(n -> n <= 2), "a prediction explained more than once per run");
    assertEquals(0.0, skipped(meters), "nothing skipped after the restart (no sample missing)");
    return repeated;
  }

  /**
   * Writes the samples now (as ingest would have), and returns their predictions (label
   * {@code i % 10}, as inference would write them, each naming its sample's position) to be sent
   * while the service runs.
   */
  static List<ProducerRecord<String, byte[]>> traffic(Producer<String, byte[]> producer, Topics topics, int version)
      throws Exception {
    EventCodec codec = new EventCodec();
    ImageDataset test = TrainedDigits.test();
    long now = System.currentTimeMillis();
    List<Future<RecordMetadata>> written = new ArrayList<>();
    for (int i = 0; i < PREDICTIONS; i++) {
      String id = "s-" + i;
      written.add(producer.send(new ProducerRecord<>(topics.samples().name(), id, codec.encode(new Sample(
          Sample.SCHEMA_VERSION, id, now, Tensor.ofUint8(test.image(i % test.size()), 1, 28, 28), null, null)))));
    }
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    for (int i = 0; i < PREDICTIONS; i++) {
      String id = "s-" + i;
      RecordMetadata at = written.get(i).get();
      int label = i % 10;
      RecordHeaders headers = new RecordHeaders();
      headers.add(SamplePosition.HEADER, new SamplePosition(at.partition(), at.offset()).headerValue());
      out.add(new ProducerRecord<>(topics.predictions().name(), null, id, codec.encode(new Prediction(
          Prediction.SCHEMA_VERSION, id, PublishedDigits.NAME, version, label, Integer.toString(label), 0.9f, List.of(),
          null, "onnx-cpu", "int8", now, now)), headers));
    }
    return out;
  }

  /** Whether the service's group committed having decided every predictions partition to its end. */
  private static boolean caughtUp(Topics topics) throws Exception {
    return caughtUp(kafka.clientProperties(), topics);
  }

  /**
   * Whether the service's group committed having decided both predictions partitions to their end (the
   * committed offsets themselves stay back at the oldest prediction whose sample position is held).
   */
  static boolean caughtUp(Properties kafka, Topics topics) throws Exception {
    try (Admin admin = Admin.create(kafka)) {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(config().groupId())
          .partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < 2; p++) {
        latest.put(new TopicPartition(topics.predictions().name(), p), OffsetSpec.latest());
      }
      var ends = admin.listOffsets(latest).all().get();
      return latest.keySet().stream().allMatch(tp -> DecidedOffsets.position(committed.get(tp))
          >= ends.get(tp).offset());
    }
  }

  static Map<String, Double> skippedByReason(SimpleMeterRegistry meters) {
    Map<String, Double> out = new HashMap<>();
    meters.find(ExplainMetrics.SKIPPED).counters().forEach(c -> out.put(c.getId().getTag("reason"), c.count()));
    return out;
  }

  static double skipped(SimpleMeterRegistry meters) {
    return meters.find(ExplainMetrics.SKIPPED).counters().stream().mapToDouble(Counter::count).sum();
  }

  /** The same gradient, up to float rounding (another JVM computed the first). */
  static void assertAgree(float[] a, float[] b, String id) {
    assertEquals(a.length, b.length);
    float scale = 0;
    for (float v : a) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 1e-4f * scale + 1e-9f, "attribution " + i + " of " + id + " explained twice");
    }
  }
}
