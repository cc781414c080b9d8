package dev.osprey.inference;

import dev.osprey.model.serving.TestModels;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.ChildJvm;
import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.event.Sample;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills (SIGKILL) an inference process mid-stream, starts another with the same instance id and
 * checks that every sample has exactly one committed prediction: the killed process's open
 * transaction is aborted when the new one fences its transactional id, and the uncommitted
 * samples are read again from the last committed offsets.
 */
class KillRestartIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final int SAMPLES = 8000;
  private final Topics topics = Topics.defaults();
  @TempDir Path tmp;

  @Test
  void sigkillMidStreamThenRestartGivesExactlyOnePredictionPerSample() throws Exception {
    kafka.createTopics(topics, 3);
    ModelRegistry registry = new ModelRegistry(tmp.resolve("registry"));
    TestModels.publish(registry, 0);
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < SAMPLES; i++) {
      samples.add(TestModels.sample("kill", i, System.currentTimeMillis()));
    }
    try (KafkaProducer<String, byte[]> p = TopicClients.producer(kafka.clientProperties());
        TopicClients.Collector predictions = new TopicClients.Collector(kafka.clientProperties(), topics.predictions().name(), true)) {
      TopicClients.activate(p, topics, 1);
      TopicClients.sendSamples(p, topics, samples);

      try (ChildJvm first = start(registry.root(), tmp.resolve("first.log"))) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
            .until(() -> predictions.poll().distinct(id -> id.startsWith("kill-")) >= 1000);
        first.kill(); // SIGKILL: no shutdown hook, no transaction commit or abort
      }
      int beforeRestart = predictions.poll().distinct(id -> id.startsWith("kill-"));
      assertTrue(beforeRestart < SAMPLES, "the process was killed mid-stream, after " + beforeRestart + " predictions");

      try (ChildJvm second = start(registry.root(), tmp.resolve("second.log"))) {
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(50))
            .until(() -> predictions.poll().distinct(id -> id.startsWith("kill-")) == SAMPLES);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> TopicClients.groupCaughtUp(kafka.clientProperties(), "osprey-inference", topics.samples().name()));
        await().atMost(Duration.ofSeconds(30)).until(() -> predictions.poll().atEnd());
        assertEquals(SAMPLES, predictions.records(id -> id.startsWith("kill-")).size(),
            "exactly one committed prediction per sample id");
      }
    }
  }

  /** Starts {@link InferenceProcessMain} and waits for READY. */
  private static ChildJvm start(Path registry, Path log) throws Exception {
    return ChildJvm.start(InferenceProcessMain.class, log, "READY digits:1", Duration.ofMinutes(2),
        kafka.bootstrapServers(), registry.toString());
  }
}
