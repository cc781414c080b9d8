package dev.osprey.inference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.serving.TestModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out: inference instances share the sample partitions through their consumer group. Two
 * instances serve version 1; while samples stream, version 2 is activated and a third instance
 * joins at the same moment (a rebalance in the middle of the swap); then one of the first two
 * leaves (another rebalance). Every
 * sample is predicted exactly once (read_committed), by a version that was serving at its time,
 * with that version's numbers, and after the swap only by version 2.
 */
class ScaleOutIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final int CHUNK = 2_000;
  private static final String GROUP = "osprey-inference-scale";

  @TempDir Path tmp;

  private final Topics topics = new Topics("scale.", new EventCodec());
  private final List<InferenceService> instances = new ArrayList<>();

  private InferenceService instance(ModelRegistry registry, String id) throws Exception {
    InferenceService s = new InferenceService(InferenceConfig.of(TestModels.NAME).withInstance(GROUP, id)
        .withBatching(32, Duration.ofMillis(5)).withHttp("127.0.0.1", -1, null), topics,
        PrometheusMetrics.newRegistry("inference"), registry, kafka.clientProperties());
    instances.add(s);
    s.start();
    return s;
  }

  @Test
  void instancesJoiningAndLeavingDuringASwapPredictEverySampleExactlyOnce() throws Exception {
    kafka.createTopics(topics, 4);
    ModelRegistry registry = new ModelRegistry(tmp.resolve("registry"));
    TestModels.publish(registry, 0);
    TestModels.publish(registry, 1);
    try (KafkaProducer<String, byte[]> producer = TopicClients.producer(kafka.clientProperties());
        TopicClients.Collector predictions = new TopicClients.Collector(kafka.clientProperties(),
            topics.predictions().name(), true)) {
      TopicClients.activate(producer, topics, 1);
      InferenceService a = instance(registry, "a");
      InferenceService b = instance(registry, "b");
      await().atMost(Duration.ofMinutes(1)).until(() -> servingVersion(a) == 1 && servingVersion(b) == 1);

      TopicClients.sendSamples(producer, topics, chunk("before", 0, CHUNK));
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50))
          .until(() -> predictions.poll().distinct(id -> id.startsWith("before-")) == CHUNK);

      // samples arriving; then the swap and a joining instance at once, and more samples
      TopicClients.sendSamples(producer, topics, chunk("during", 0, CHUNK / 2));
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
          .until(() -> predictions.poll().distinct(id -> id.startsWith("during-")) >= CHUNK / 4);
      TopicClients.activate(producer, topics, 2);
      InferenceService c = instance(registry, "c");
      TopicClients.sendSamples(producer, topics, chunk("during", CHUNK / 2, CHUNK));
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50))
          .until(() -> predictions.poll().distinct(id -> id.startsWith("during-")) >= 2 * CHUNK / 3);
      // one of the first two leaves while the chunk is consumed
      a.close();
      instances.remove(a);
      await().atMost(Duration.ofMinutes(1)).until(() -> servingVersion(b) == 2 && servingVersion(c) == 2);

      TopicClients.sendSamples(producer, topics, chunk("after", 0, CHUNK));
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
          .until(() -> predictions.poll().distinct(id -> true) == 3 * CHUNK);
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> TopicClients.groupCaughtUp(kafka.clientProperties(), GROUP, topics.samples().name()));
      await().atMost(Duration.ofSeconds(30)).until(() -> predictions.poll().atEnd());

      List<ConsumerRecord<String, byte[]>> records = predictions.records(id -> true);
      assertEquals(3 * CHUNK, records.size(), "exactly one prediction per sample across the rebalances");
      Map<String, Set<Integer>> versionsByChunk = new HashMap<>();
      Map<Integer, Integer> lastVersionByPartition = new HashMap<>();
      int mismatches = 0;
      for (ConsumerRecord<String, byte[]> r : records) {
        Prediction p = predictions.predictions().get(r.key());
        String chunk = r.key().substring(0, r.key().indexOf('-'));
        versionsByChunk.computeIfAbsent(chunk, k -> new TreeSet<>()).add(p.modelVersion());
        int before = lastVersionByPartition.getOrDefault(r.partition(), 0);
        assertTrue(p.modelVersion() >= before, "partition " + r.partition() + " went back to version "
            + p.modelVersion() + " at " + r.key());
        lastVersionByPartition.put(r.partition(), p.modelVersion());
        int i = Integer.parseInt(r.key().substring(r.key().lastIndexOf('-') + 1));
        int expected = TestModels.variants().get(p.modelVersion() - 1).int8Predictions()[i % 1000];
        mismatches += p.label() == expected ? 0 : 1;
      }
      assertEquals(Set.of(1), versionsByChunk.get("before"), "before the swap: version 1 only");
      assertEquals(Set.of(2), versionsByChunk.get("after"), "after the swap: version 2 only");
      assertTrue(versionsByChunk.get("during").contains(1), "the chunk began under version 1: " + versionsByChunk);
      assertTrue(mismatches <= 3 * CHUNK / 500, mismatches + " predictions disagree with the version they name");
      System.out.printf("scale-out: %d samples, each predicted once across a join and a leave during the swap; "
          + "versions by chunk %s%n", records.size(), versionsByChunk);
    } finally {
      close(instances);
    }
  }

  private static int servingVersion(InferenceService s) {
    return s.serving().map(m -> m.ref().version()).orElse(0);
  }

  private static List<Sample> chunk(String prefix, int from, int to) {
    List<Sample> out = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      out.add(TestModels.sample(prefix, i, System.currentTimeMillis()));
    }
    return out;
  }

  private static void close(Collection<InferenceService> services) {
    for (InferenceService s : services) {
      s.close();
    }
  }
}
