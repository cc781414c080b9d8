package dev.osprey.explain.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.CommittedReader;
import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.broker.PacedSender;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.service.Health;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.PublishedDigits;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stops the broker under a running explain service while samples and predictions keep arriving
 * (the producer buffers them), starts it again on the same data and port, and checks that the
 * service carries on by itself and keeps its promise: every chosen prediction explained at least
 * once, by the version that made it, a repeat agreeing with the first.
 */
class ExplainBrokerRestartIT {
  @TempDir Path tmp;

  @Test
  void aBrokerRestartMidStreamStillExplainsEveryChosenPredictionAtLeastOnce() throws Exception {
    Topics topics = new Topics("restart.", new EventCodec());
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(0, tmp.resolve("kafka"), 2));
    int port = broker.port();
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", broker.bootstrapServers());
    long t0 = System.nanoTime();
    try (TopicAdmin admin = new TopicAdmin(kafka)) {
      admin.createAll(topics, 2, (short) 1);
    }
    ModelRegistry registry = new ModelRegistry(tmp.resolve("registry"));
    int v1 = PublishedDigits.publish(registry, tmp).manifest().version();
    DigitTraffic.activate(kafka, topics, v1);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (CommittedReader explanations = new CommittedReader(kafka, topics.explanations().name());
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka, new StringSerializer(),
            new ByteArraySerializer());
        ExplainService service = new ExplainService(ExplainKillRestartIT.config(), topics, meters, registry,
            ExplainKillRestartIT.kafka(kafka))) {
      service.start();
      try (PacedSender<String, byte[]> sender = PacedSender.start(producer,
          ExplainKillRestartIT.traffic(producer, topics, v1), 1, Duration.ofMillis(20))) {
        int stopAfter = ExplainKillRestartIT.PREDICTIONS / 3;
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10))
            .until(() -> explanations.poll() >= stopAfter);
        broker.close();
        System.out.printf("explain: broker stopped after %d explanations, %d of %d records sent%n",
            explanations.records().size(), sender.sent(), ExplainKillRestartIT.PREDICTIONS);
        assertTrue(explanations.records().size() < ExplainKillRestartIT.PREDICTIONS, "stopped mid-stream");
        broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(port, tmp.resolve("kafka"), 2));
        sender.awaitDone(Duration.ofMinutes(3));
      }
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
          .until(() -> ExplainKillRestartIT.caughtUp(kafka, topics));
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
        explanations.poll();
        return explanations.atEnd();
      });
      int repeated = ExplainKillRestartIT.assertEveryPredictionExplained(explanations.records(), v1, meters);
      await().atMost(Duration.ofMinutes(1)).until(() -> service.health().status() == Health.Status.READY);
      assertEquals(Health.Status.READY, service.health().status());
      System.out.printf("explain: at least once across the broker restart: %d explanations (%d repeated), %.1f s%n",
          explanations.records().size(), repeated, (System.nanoTime() - t0) / 1e9);
    } finally {
      broker.close();
    }
  }
}
