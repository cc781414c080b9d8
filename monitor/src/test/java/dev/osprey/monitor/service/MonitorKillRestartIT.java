package dev.osprey.monitor.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.ChildJvm;
import dev.osprey.broker.CommittedReader;
import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.broker.PacedSender;
import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.service.Health;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills (SIGKILL) the monitor mid-stream, after a number of committed predictions drawn from a
 * seeded random, while predictions and outcomes keep arriving; starts another monitor on the same
 * application id and checks that nothing was counted twice or lost: the drift topic (read_committed)
 * holds exactly the reports of an uninterrupted in-memory run, none twice, and the quality figures
 * (outcomes consumed, online accuracy, ECE, log loss, per-class counts, estimated accuracy) equal
 * that run's.
 */
class MonitorKillRestartIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final long SEED = 20261129L;
  private static final int N = 2_400;
  private static final int DRIFT_AT = 1_000;
  private static final String APPLICATION_ID = "osprey-monitor-kill";

  private final EventCodec codec = new EventCodec();
  @TempDir Path tmp;

  /**
   * The config of the killed and the restarted monitor. The killed member leaves the group after
   * its session timeout: 6 s (the broker's minimum) instead of Kafka's 45 s keeps the test short.
   */
  static MonitorConfig config(Properties kafka) {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put("session.timeout.ms", "6000");
    p.put("heartbeat.interval.ms", "1000");
    return new MonitorConfig(APPLICATION_ID, p, MonitorFixtures.settings(), Duration.ofMillis(200),
        Duration.ofSeconds(90));
  }

  @Test
  void sigkillMidStreamThenRestartCountsEveryPredictionAndOutcomeOnceAndRepeatsNoReport() throws Exception {
    ModelRegistry registry = MonitorFixtures.registry(tmp.resolve("registry"));
    UninterruptedRun uninterrupted = new UninterruptedRun(registry, MonitorFixtures.replay(0, N, DRIFT_AT, 1, 11));
    List<DriftReport> expected = uninterrupted.reports;
    System.out.printf("monitor: %d reports expected, the first at detector position %d%n", expected.size(),
        expected.get(0).samplesSeen());

    Topics topics = new Topics("kill.", codec);
    kafka.createTopics(topics, 1); // one partition: the stream order, hence the reports, are fixed
    List<ProducerRecord<String, byte[]>> traffic = uninterrupted.traffic(topics, codec);
    // after the first alarm (so a report committed before the kill must not come again), well before the end
    int killAfter = N / 2 + new Random(SEED).nextInt(N / 8);
    System.out.printf("monitor: seed %d, SIGKILL after %d of %d predictions committed%n", SEED, killAfter, N);
    TopicPartition predictions = new TopicPartition(topics.predictions().name(), 0);
    long t0 = System.nanoTime();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(),
            new ByteArraySerializer());
        Admin admin = Admin.create(kafka.clientProperties());
        CommittedReader drift = new CommittedReader(kafka.clientProperties(), topics.drift().name())) {
      ModelActivation a = ModelActivation.of(MonitorFixtures.MODEL, 1, MonitorFixtures.T0, "test", "it");
      producer.send(new ProducerRecord<>(topics.models().name(), a.modelName(), codec.encode(a))).get();
      try (ChildJvm first = ChildJvm.start(MonitorProcessMain.class, tmp.resolve("monitor.log"), "READY",
              Duration.ofMinutes(2), kafka.bootstrapServers(), topics.prefix(), registry.root().toString());
          PacedSender<String, byte[]> sender = PacedSender.start(producer, traffic, 10, Duration.ofMillis(20))) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10))
            .until(() -> committed(admin, predictions) >= killAfter);
        first.kill();
        long atKill = committed(admin, predictions);
        // what was committed before the kill (the open transaction holds the end back until the restart aborts it)
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> drift.poll() >= 0
            && drift.atEnd());
        System.out.printf("monitor killed at %d predictions and %d drift reports committed, %d of %d records sent%n",
            atKill, drift.records().size(), sender.sent(), traffic.size());
        assertTrue(atKill < N, "killed mid-stream, at " + atKill);
        assertFalse(drift.records().isEmpty(), "the killed monitor committed a report before the kill");
        sender.awaitDone(Duration.ofMinutes(2));
      }

      try (MonitorService second = new MonitorService(config(kafka.clientProperties()), topics,
          new SimpleMeterRegistry(), registry, new Properties())) {
        second.start();
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
            .until(() -> committed(admin, predictions) == N && labeled(second.view()) == N / 2);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(() -> drift.poll() >= 0 && drift.atEnd());
        List<DriftReport> written = new ArrayList<>();
        for (var r : drift.records()) {
          written.add(codec.decodeDriftReport(r.value()));
        }
        assertEquals(expected, written, "the reports of an uninterrupted run, each once");

        uninterrupted.assertSameFigures(second.view());
        assertEquals(Health.Status.READY, second.health().status());
        System.out.printf("monitor: exactly once across the SIGKILL (%d reports, accuracy %.4f), %.1f s%n",
            written.size(), second.view().models().get(0).versions().get(0).total().accuracy(), (System.nanoTime() - t0) / 1e9);
      }
    }
  }

  private static long committed(Admin admin, TopicPartition tp) throws Exception {
    return committed(admin, APPLICATION_ID, tp);
  }

  /** The group's committed offset on {@code tp}, 0 before its first commit. */
  static long committed(Admin admin, String group, TopicPartition tp) throws Exception {
    OffsetAndMetadata o = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(tp);
    return o == null ? 0 : o.offset();
  }

  static long labeled(MonitorView view) {
    return view.models().stream().flatMap(m -> m.versions().stream()).mapToLong(v -> v.total().labeled()).sum();
  }
}
