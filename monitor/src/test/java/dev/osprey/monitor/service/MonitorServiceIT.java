package dev.osprey.monitor.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.service.Health;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The monitor against a real broker: drift reports after the drift only, exact quality, restarts. */
class MonitorServiceIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final int N = 1_600;
  private static final int DRIFT_AT = 1_000;

  @TempDir static Path dir;
  private static ModelRegistry registry;
  private static List<MonitorFixtures.Scored> replay;
  /** What an uninterrupted in-memory run reports: the service must write exactly these. */
  private static List<DriftReport> expected;
  private static MonitorView.Version expectedQuality;

  private final EventCodec codec = new EventCodec();

  @BeforeAll
  static void fixture() throws Exception {
    registry = MonitorFixtures.registry(dir.resolve("registry"));
    replay = MonitorFixtures.replay(0, N, DRIFT_AT, 1, 11);
    MonitorProcessor p = new MonitorProcessor(MonitorFixtures.settings(),
        new ReferenceCatalog(registry, MonitorFixtures.settings().drift()));
    expected = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      expected.addAll(p.onPrediction(replay.get(i).prediction(), 0, i));
      if (i % 2 == 0) {
        p.onOutcome(replay.get(i).outcome(1_500));
      }
    }
    expectedQuality = p.view().models().get(0).versions().get(0);
  }

  private MonitorConfig config() {
    return new MonitorConfig("osprey-monitor-it", kafka.clientProperties(), MonitorFixtures.settings(),
        Duration.ofMillis(200), Duration.ofSeconds(60));
  }

  private Topics topics(String prefix) throws Exception {
    Topics topics = new Topics(prefix, codec);
    kafka.createTopics(topics, 1); // one partition: the stream order, hence the reports, are fixed
    return topics;
  }

  /** Activates version 1, then writes predictions {@code from..to} and, for every second one, its outcome. */
  private void produce(Topics topics, int from, int to) {
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(producerProps(),
        new org.apache.kafka.common.serialization.StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      ModelActivation a = ModelActivation.of(MonitorFixtures.MODEL, 1, MonitorFixtures.T0, "test", "it");
      p.send(new ProducerRecord<>(topics.models().name(), a.modelName(), codec.encode(a)));
      for (int i = from; i < to; i++) {
        Prediction pr = replay.get(i).prediction();
        p.send(new ProducerRecord<>(topics.predictions().name(), pr.sampleId(), codec.encode(pr)));
        if (i % 2 == 0) {
          Outcome o = replay.get(i).outcome(1_500);
          p.send(new ProducerRecord<>(topics.outcomes().name(), o.sampleId(), codec.encode(o)));
        }
      }
    }
  }

  private Properties producerProps() {
    Properties p = kafka.clientProperties();
    p.put("enable.idempotence", "true");
    p.put("acks", "all");
    return p;
  }

  private static long predictions(MonitorService s) {
    return s.view().models().stream().flatMap(m -> m.versions().stream())
        .mapToLong(v -> Arrays.stream(v.predictedClasses()).sum()).sum();
  }

  private static long labeled(MonitorService s) {
    return s.view().models().stream().flatMap(m -> m.versions().stream()).mapToLong(v -> v.total().labeled()).sum();
  }

  private List<DriftReport> reports(Topic<String, DriftReport> topic) throws Exception {
    Properties p = kafka.clientProperties();
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<DriftReport> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic.name(), 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        for (var r : c.poll(Duration.ofMillis(200))) {
          DriftReport d = codec.decodeDriftReport(r.value());
          assertEquals(d.key(), r.key());
          out.add(d);
        }
      }
    }
    return out;
  }

  private void assertQualityAsExpected(MonitorService s) {
    MonitorView.Version v = s.view().models().get(0).versions().get(0);
    long labeled = 0;
    long correct = 0;
    for (int i = 0; i < N; i += 2) {
      labeled++;
      correct += replay.get(i).prediction().label() == replay.get(i).actual() ? 1 : 0;
    }
    // online accuracy from osprey.outcomes = offline accuracy on exactly the labeled samples
    assertEquals(labeled, v.total().labeled());
    assertEquals((double) correct / labeled, v.total().accuracy(), 0.0);
    assertEquals(correct, v.correct());
    assertEquals(expectedQuality.total().ece(), v.total().ece(), 1e-12);
    assertEquals(expectedQuality.total().logLoss(), v.total().logLoss(), 1e-12);
    assertArrayEquals(expectedQuality.predictedClasses(), v.predictedClasses());
    assertEquals(0.5, v.total().coverage(), 0.0);
  }

  @Test
  void driftReportsAppearAfterTheDriftOnlyAndQualityIsExact() throws Exception {
    Topics topics = topics("run1.");
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (MonitorService s = new MonitorService(config(), topics, meters, registry, new Properties())) {
      s.start();
      assertEquals(Health.Status.READY, s.health().status());
      assertThrows(IllegalStateException.class, s::start);
      produce(topics, 0, N);
      await().atMost(Duration.ofSeconds(60)).until(() -> predictions(s) == N && labeled(s) == N / 2);
      List<DriftReport> got = reports(topics.drift());
      assertFalse(got.isEmpty());
      assertEquals(expected, got);
      for (DriftReport r : got) {
        assertTrue(r.samplesSeen() > DRIFT_AT, "report before the drift: " + r);
      }
      DriftReport first = got.get(0);
      assertEquals(DriftReport.State.ALARM, first.state());
      assertEquals(Long.parseLong(first.onsetSampleId().substring(2)), first.onsetOffsets().get("0"));
      assertQualityAsExpected(s);
      String text = meters.scrape();
      long alarms = got.stream().filter(r -> r.state() == DriftReport.State.ALARM).count();
      double scraped = meters.find(MonitorMetrics.DRIFT_ALARMS).functionCounters().stream()
          .mapToDouble(c -> c.count()).sum();
      assertEquals(alarms, scraped, 0.0);
      for (String name : List.of("osprey_monitor_accuracy{model=\"digits\",version=\"1\",window=\"total\"}",
          "osprey_monitor_estimated_accuracy{", "osprey_monitor_drift_score{", "osprey_monitor_drift_threshold{",
          "osprey_monitor_drift_alarm{", "osprey_monitor_drift_alarms_total{", "osprey_monitor_ece{",
          "osprey_monitor_log_loss{", "osprey_monitor_recall{", "osprey_monitor_label_coverage{",
          "osprey_monitor_label_delay_seconds_bucket{", "osprey_monitor_outcomes_total{",
          "osprey_monitor_predictions_total{")) {
        assertTrue(text.contains(name), name + " missing from the scrape");
      }
    }
  }

  @Test
  void aRestartMidStreamNeitherLosesNorRepeatsAnything() throws Exception {
    Topics topics = topics("run2.");
    int firstPart = DRIFT_AT + 200;
    produce(topics, 0, firstPart);
    MonitorConfig config = config();
    MonitorView committed;
    try (MonitorService first = new MonitorService(config, topics, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        registry, new Properties())) {
      first.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> predictions(first) >= DRIFT_AT + 50);
      committed = first.view();
    } // closed mid-stream, maybe mid-transaction: an open transaction is aborted
    produce(topics, firstPart, N);
    try (MonitorService second = new MonitorService(config, topics,
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), registry, new Properties())) {
      second.start();
      long restored = predictions(second);
      assertTrue(restored >= DRIFT_AT + 50 && restored <= firstPart, "restored " + restored);
      assertTrue(restored >= committed.models().get(0).versions().stream()
          .mapToLong(v -> Arrays.stream(v.predictedClasses()).sum()).sum(), "the restored state is the last committed");
      await().atMost(Duration.ofSeconds(60)).until(() -> predictions(second) == N && labeled(second) == N / 2);
      assertEquals(expected, reports(topics.drift()));
      assertQualityAsExpected(second);
      assertEquals(expected.stream().filter(r -> r.state() == DriftReport.State.ALARM).count(),
          second.view().models().get(0).alarms().values().stream().mapToLong(Long::longValue).sum());
    }
  }

  @Test
  void aStateOfTheFormatBeforeTheTimeBucketsStartsThatModelFresh() throws Exception {
    Topics topics = topics("run3.");
    MonitorConfig config = config();
    String stateTopic;
    try (MonitorService first = new MonitorService(config, topics, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        registry, new Properties())) {
      first.start(); // creates the state topic
      stateTopic = first.stateTopic();
    }
    // a format-1 record (its time window held outcomes), as an older monitor wrote it
    java.io.ByteArrayOutputStream old = new java.io.ByteArrayOutputStream();
    old.write(MonitorStateCodec.FORMAT_OUTCOMES_IN_TIME_WINDOW);
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(old)) {
      gz.write("{\"model\":\"digits\",\"versions\":{\"1\":{\"quality\":{\"timeWindow\":[]}}}}".getBytes(
          java.nio.charset.StandardCharsets.UTF_8));
    }
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(producerProps(),
        new org.apache.kafka.common.serialization.StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      p.send(new ProducerRecord<>(stateTopic, MonitorFixtures.MODEL, old.toByteArray())).get();
    }
    produce(topics, 0, 200);
    try (MonitorService second = new MonitorService(config, topics,
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), registry, new Properties())) {
      second.start();
      assertEquals(Health.Status.READY, second.health().status());
      // counted from the beginning of the input, nothing restored
      await().atMost(Duration.ofSeconds(60)).until(() -> predictions(second) == 200 && labeled(second) == 100);
    }
  }
}
