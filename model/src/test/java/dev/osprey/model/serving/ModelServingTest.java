package dev.osprey.model.serving;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.service.ServiceStartException;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Following the models topic without Kafka or Vert.x: a MockConsumer holds the topic, real
 * versions are loaded from a registry of {@link TestModels}.
 */
class ModelServingTest {
  private static final EventCodec CODEC = new EventCodec();
  private static final Topics TOPICS = Topics.defaults();
  private static final TopicPartition MODELS = new TopicPartition(TOPICS.models().name(), 0);

  @TempDir Path tmp;
  private ModelRegistry registry;
  private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @BeforeEach
  void publish() throws Exception {
    registry = new ModelRegistry(tmp.resolve("registry"));
    TestModels.publish(registry, 0);
    TestModels.publish(registry, 1);
    consumer.updatePartitions(MODELS.topic(), List.of(new PartitionInfo(MODELS.topic(), 0, null, null, null)));
    consumer.updateBeginningOffsets(Map.of(MODELS, 0L));
  }

  private ModelServing serving() {
    return new ModelServing(TestModels.NAME, ServingOptions.cpuInt8(8, "target/tensorrt-cache"), registry, TOPICS,
        consumer, new ServingMetrics(meters, "osprey.test"), Duration.ofSeconds(5), Clock.systemUTC());
  }

  /** Adds records at the next poll (MockConsumer takes records only for assigned partitions). */
  private void onNextPoll(long firstOffset, String key, byte[]... values) {
    consumer.schedulePollTask(() -> {
      for (int i = 0; i < values.length; i++) {
        consumer.addRecord(new ConsumerRecord<>(MODELS.topic(), 0, firstOffset + i, key, values[i]));
      }
    });
  }

  private static byte[] activation(String model, int version) {
    return CODEC.encode(ModelActivation.of(model, version, 1L, "test", "test"));
  }

  private double swaps(String outcome) {
    var c = meters.find("osprey.test.model.swaps").tag("outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void startServesTheLatestActivationThenFollowsNewOnes() throws Exception {
    consumer.updateEndOffsets(Map.of(MODELS, 2L));
    onNextPoll(0, TestModels.NAME, activation(TestModels.NAME, 1), activation(TestModels.NAME, 2));
    ModelServing serving = serving();
    LoadedModel first;
    try {
      serving.start(Duration.ofSeconds(30));
      assertEquals("digits:2", serving.current().orElseThrow().ref().toString(), "the latest activation serves");
      assertEquals(List.of("2:success"), outcomes(serving));

      first = serving.holder().acquire(); // a batch in flight on version 2
      onNextPoll(2, TestModels.NAME, "garbage".getBytes(StandardCharsets.UTF_8), activation(TestModels.NAME, 1));
      onNextPoll(4, "other-model", activation("other-model", 1));
      await().atMost(Duration.ofSeconds(30)).until(() -> serving.history().size() == 3);
      assertEquals(List.of("2:success", "0:invalid_event", "1:success"), outcomes(serving));
      assertEquals(1, serving.current().orElseThrow().ref().version());
      assertTrue(!first.isClosed(), "the old model stays open under its running batch");
      first.release();
      assertTrue(first.isClosed(), "and closes after it");
      assertEquals(2, swaps("success"));
      assertEquals(1, swaps("invalid_event"));
      assertEquals(1.0, meters.get("osprey.test.model.info").tag("model_version", "1").tag("plan", "int8")
          .tag("requested_precision", "int8").gauge().value());
    } finally {
      serving.close();
    }
    serving.close(); // idempotent
    assertTrue(consumer.closed());
    assertTrue(serving.current().isEmpty());
    assertTrue(meters.find("osprey.test.model.info").gauges().isEmpty());
  }

  @Test
  void aVersionThatCannotLoadAtStartFallsBackToTheEarlierActivation() throws Exception {
    consumer.updateEndOffsets(Map.of(MODELS, 2L));
    onNextPoll(0, TestModels.NAME, activation(TestModels.NAME, 1), activation(TestModels.NAME, 9));
    try (ModelServing serving = serving()) {
      serving.start(Duration.ofSeconds(30));
      assertEquals(1, serving.current().orElseThrow().ref().version());
      assertEquals(List.of("9:failed", "1:success"), outcomes(serving));
    }
  }

  /** Issue 8, item 2a: the newest activation names a version corrupted on disk after it was published. */
  @Test
  void aCorruptLatestActivationIsRefusedAgainAtStartAndTheEarlierOneServes() throws Exception {
    Path onnx;
    try (var files = java.nio.file.Files.list(registry.versionDir(TestModels.NAME, 2))) {
      onnx = files.filter(f -> f.toString().endsWith(".onnx")).findFirst().orElseThrow();
    }
    byte[] bytes = java.nio.file.Files.readAllBytes(onnx);
    bytes[bytes.length / 2] ^= 0x5A; // same size, other hash
    java.nio.file.Files.write(onnx, bytes);
    consumer.updateEndOffsets(Map.of(MODELS, 2L));
    onNextPoll(0, TestModels.NAME, activation(TestModels.NAME, 1), activation(TestModels.NAME, 2));
    try (ModelServing serving = serving()) {
      serving.start(Duration.ofSeconds(30));
      assertEquals(1, serving.current().orElseThrow().ref().version());
      assertEquals(List.of("2:failed", "1:success"), outcomes(serving));
      assertTrue(serving.history().get(0).detail().contains("corrupt"), serving.history().get(0).detail());
      assertEquals(1, swaps("failed"));
    }
  }

  /**
   * Issue 8, item 2b: the newest activation names a version with other labels, refused while the
   * service ran. A restart must refuse it again (not serve it because nothing is loaded yet), serve
   * the earlier version, and still accept a compatible activation afterwards.
   */
  @Test
  void anIncompatibleLatestActivationIsRefusedAgainAtStart() throws Exception {
    TestModels.publish(registry, 2, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
    consumer.updateEndOffsets(Map.of(MODELS, 2L));
    onNextPoll(0, TestModels.NAME, activation(TestModels.NAME, 1), activation(TestModels.NAME, 3));
    try (ModelServing serving = serving()) {
      serving.start(Duration.ofSeconds(30));
      assertEquals(1, serving.current().orElseThrow().ref().version());
      assertEquals(List.of("3:incompatible", "1:success"), outcomes(serving));
      assertEquals(1, swaps("incompatible"));
      onNextPoll(2, TestModels.NAME, activation(TestModels.NAME, 2));
      await().atMost(Duration.ofSeconds(30)).until(() -> serving.history().size() == 3);
      assertEquals(2, serving.current().orElseThrow().ref().version(), "a compatible activation still swaps in");
    }
  }

  /**
   * The same after compaction: only the incompatible activation is left in the topic. The
   * registry's previous version is the reference, so nothing serves until a fitting activation
   * arrives (what a service running all along would have refused is not served after a restart).
   */
  @Test
  void anIncompatibleActivationAloneInACompactedTopicIsRefusedAgainstTheRegistrysPreviousVersion() throws Exception {
    TestModels.publish(registry, 2, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
    consumer.updateEndOffsets(Map.of(MODELS, 1L));
    onNextPoll(0, TestModels.NAME, activation(TestModels.NAME, 3));
    try (ModelServing serving = serving()) {
      serving.start(Duration.ofSeconds(30));
      assertTrue(serving.current().isEmpty(), "the incompatible version is not served");
      assertEquals(List.of("3:incompatible"), outcomes(serving));
      assertTrue(serving.history().get(0).detail().contains("but digits:2 has"), serving.history().get(0).detail());
      onNextPoll(1, TestModels.NAME, activation(TestModels.NAME, 1));
      await().atMost(Duration.ofSeconds(30)).until(() -> serving.current().isPresent());
      assertEquals(List.of("3:incompatible", "1:success"), outcomes(serving));
    }
  }

  @Test
  void startFailsWhenTheTopicCannotBeReadInTime() {
    consumer.updateEndOffsets(Map.of(MODELS, 5L)); // records that never arrive
    try (ModelServing serving = serving()) {
      ServiceStartException e = assertThrows(ServiceStartException.class, () -> serving.start(Duration.ofMillis(300)));
      assertEquals("could not read osprey.models within PT0.3S", e.getMessage());
      assertTrue(serving.current().isEmpty());
    }
  }

  private static List<String> outcomes(ModelServing serving) {
    return serving.history().stream().map(e -> e.version() + ":" + e.outcome().code()).toList();
  }
}
