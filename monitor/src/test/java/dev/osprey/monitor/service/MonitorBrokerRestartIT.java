package dev.osprey.monitor.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.CommittedReader;
import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.broker.PacedSender;
import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.service.Health;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stops the broker under a running monitor while predictions and outcomes keep arriving (the
 * producer buffers them), starts it again on the same data and port, and checks that the monitor
 * carries on by itself and counts nothing twice and loses nothing: the drift topic (read_committed)
 * holds exactly the reports of an uninterrupted in-memory run, and the quality figures equal it.
 */
class MonitorBrokerRestartIT {
  private static final int N = 2_400;
  private static final int DRIFT_AT = 1_000;
  private static final String APPLICATION_ID = "osprey-monitor-broker-restart";

  private final EventCodec codec = new EventCodec();
  @TempDir Path tmp;

  @Test
  void aBrokerRestartMidStreamCountsEveryPredictionAndOutcomeOnceAndRepeatsNoReport() throws Exception {
    ModelRegistry registry = MonitorFixtures.registry(tmp.resolve("registry"));
    UninterruptedRun uninterrupted = new UninterruptedRun(registry, MonitorFixtures.replay(0, N, DRIFT_AT, 1, 12));
    Topics topics = new Topics("restart.", codec);
    List<ProducerRecord<String, byte[]>> traffic = uninterrupted.traffic(topics, codec);
    TopicPartition predictions = new TopicPartition(topics.predictions().name(), 0);

    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(0, tmp.resolve("kafka"), 1));
    int port = broker.port();
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", broker.bootstrapServers());
    long t0 = System.nanoTime();
    try (TopicAdmin topicAdmin = new TopicAdmin(kafka)) {
      topicAdmin.createAll(topics, 1, (short) 1); // one partition: the stream order, hence the reports, are fixed
    }
    MonitorConfig config = new MonitorConfig(APPLICATION_ID, kafka, MonitorFixtures.settings(), Duration.ofMillis(200),
        Duration.ofSeconds(90));
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka, new StringSerializer(),
            new ByteArraySerializer());
        MonitorService monitor = new MonitorService(config, topics, new SimpleMeterRegistry(), registry, new Properties());
        Admin admin = Admin.create(kafka)) {
      ModelActivation a = ModelActivation.of(MonitorFixtures.MODEL, 1, MonitorFixtures.T0, "test", "it");
      producer.send(new ProducerRecord<>(topics.models().name(), a.modelName(), codec.encode(a))).get();
      monitor.start();
      try (PacedSender<String, byte[]> sender = PacedSender.start(producer, traffic, 10, Duration.ofMillis(20))) {
        // past the first alarm (a report committed before the restart must not come again)
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10))
            .until(() -> MonitorKillRestartIT.committed(admin, APPLICATION_ID, predictions) >= N / 2);
        long before = MonitorKillRestartIT.committed(admin, APPLICATION_ID, predictions);
        broker.close();
        System.out.printf("monitor: broker stopped at %d of %d predictions committed, %d of %d records sent%n",
            before, N, sender.sent(), traffic.size());
        broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(port, tmp.resolve("kafka"), 1));
        assertTrue(before < N, "restarted mid-stream, at " + before);
        sender.awaitDone(Duration.ofMinutes(3));
      }
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
          .until(() -> MonitorKillRestartIT.committed(admin, APPLICATION_ID, predictions) == N
              && MonitorKillRestartIT.labeled(monitor.view()) == N / 2);
      try (CommittedReader drift = new CommittedReader(kafka, topics.drift().name())) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(() -> drift.poll() >= 0 && drift.atEnd());
        List<DriftReport> written = new ArrayList<>();
        for (var r : drift.records()) {
          written.add(codec.decodeDriftReport(r.value()));
        }
        assertEquals(uninterrupted.reports, written, "the reports of an uninterrupted run, each once");
      }
      uninterrupted.assertSameFigures(monitor.view());
      await().atMost(Duration.ofMinutes(1)).until(() -> monitor.health().status() == Health.Status.READY);
      System.out.printf("monitor: exactly once across the broker restart (%d reports), %.1f s%n",
          uninterrupted.reports.size(), (System.nanoTime() - t0) / 1e9);
    } finally {
      broker.close();
    }
  }
}
