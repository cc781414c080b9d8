package dev.osprey.inference;

import dev.osprey.model.serving.TestModels;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hot-swap under load: activations published while samples stream; every sample is predicted
 * exactly once, by the version that was serving at its time, and each prediction's numbers are
 * those of the version it names. Failed activations (corrupt files, a missing version, other
 * labels, an unreadable event) leave the old model serving. The admin endpoint rolls back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HotSwapIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  /** Versions 1..SWAPS+1 cycle through the trained variants; the default is the acceptance size (20 swaps, 50,000 samples). */
  private static final int SWAPS = Integer.getInteger("osprey.test.swaps", 20);
  private static final int CHUNK = Integer.getInteger("osprey.test.swap.chunk", 2500);
  private static final String TOKEN = "swap-admin-token-0123";
  private static final Topics topics = Topics.defaults();
  private static Path registryDir;
  private static ModelRegistry registry;
  private static PrometheusMeterRegistry meters;
  private static InferenceService service;
  private static KafkaProducer<String, byte[]> producer;

  @BeforeAll
  static void start() throws Exception {
    kafka.createTopics(topics, 3);
    registryDir = Files.createTempDirectory("osprey-registry-");
    registry = new ModelRegistry(registryDir);
    for (int v = 1; v <= SWAPS + 1; v++) {
      TestModels.publish(registry, variantOf(v));
    }
    producer = TopicClients.producer(kafka.clientProperties());
    TopicClients.activate(producer, topics, 1);
    meters = PrometheusMetrics.newRegistry("inference");
    service = new InferenceService(InferenceConfig.of(TestModels.NAME).withBatching(32, Duration.ofMillis(5))
        .withHttp("127.0.0.1", 0, TOKEN), topics, meters, registry, kafka.clientProperties());
    service.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (service != null) {
      service.close();
    }
    if (producer != null) {
      producer.close();
    }
    try (var walk = Files.walk(registryDir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static int variantOf(int version) {
    return (version - 1) % TestModels.VARIANTS;
  }

  private static int serving() {
    return service.serving().map(s -> s.ref().version()).orElse(0);
  }

  /**
   * For chunk k, version k+2 is activated and the chunk produced right after, while version k+1
   * serves: the swap lands while the chunk is being consumed, so each of its samples is predicted
   * by version k+1 or k+2, and within a partition versions never go back. The next chunk starts
   * once this one is predicted and k+2 serves.
   */
  @Test
  @Order(1)
  void swapsUnderLoadPredictEverySampleExactlyOnceWithTheRightVersion() throws Exception {
    int total = SWAPS * CHUNK;
    try (TopicClients.Collector predictions = new TopicClients.Collector(kafka.clientProperties(), topics.predictions().name(), true)) {
      for (int k = 0; k < SWAPS; k++) {
        List<Sample> chunk = new ArrayList<>(CHUNK);
        for (int i = 0; i < CHUNK; i++) {
          chunk.add(TestModels.sample("swap-" + k, i, System.currentTimeMillis()));
        }
        int next = k + 2;
        String prefix = "swap-" + k + "-";
        TopicClients.activate(producer, topics, next);
        TopicClients.sendSamples(producer, topics, chunk);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
            .until(() -> serving() == next && predictions.poll().distinct(id -> id.startsWith(prefix)) == CHUNK);
      }
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> TopicClients.groupCaughtUp(kafka.clientProperties(), "osprey-inference", topics.samples().name()));
      await().atMost(Duration.ofSeconds(30)).until(() -> predictions.poll().atEnd());

      List<ConsumerRecord<String, byte[]>> records = predictions.records(id -> id.startsWith("swap-"));
      assertEquals(total, records.size(), "exactly one prediction per sample");
      Map<Integer, Integer> lastVersionByPartition = new HashMap<>();
      Set<Integer> versionsSeen = new TreeSet<>();
      Map<Integer, Set<Integer>> versionsByChunk = new HashMap<>();
      int mismatches = 0;
      List<Integer> mixedChunks = new ArrayList<>();
      for (ConsumerRecord<String, byte[]> r : records) {
        Prediction p = predictions.predictions().get(r.key());
        String[] parts = r.key().split("-");
        int k = Integer.parseInt(parts[1]);
        int i = Integer.parseInt(parts[2]);
        assertTrue(p.modelVersion() == k + 1 || p.modelVersion() == k + 2,
            r.key() + " predicted by version " + p.modelVersion() + ", expected " + (k + 1) + " or " + (k + 2));
        int before = lastVersionByPartition.getOrDefault(r.partition(), 0);
        assertTrue(p.modelVersion() >= before, "partition " + r.partition() + " went back from version " + before
            + " to " + p.modelVersion() + " at " + r.key());
        lastVersionByPartition.put(r.partition(), p.modelVersion());
        versionsSeen.add(p.modelVersion());
        versionsByChunk.computeIfAbsent(k, x -> new TreeSet<>()).add(p.modelVersion());
        int expected = TestModels.variants().get(variantOf(p.modelVersion())).int8Predictions()[i % 1000];
        mismatches += p.label() == expected ? 0 : 1;
      }
      versionsByChunk.forEach((k, v) -> {
        if (v.size() > 1) {
          mixedChunks.add(k);
        }
      });
      assertTrue(versionsSeen.size() >= SWAPS, "versions seen: " + versionsSeen + " by chunk " + versionsByChunk);
      assertTrue(mixedChunks.size() >= 1, "no chunk was predicted by both the old and the new version");
      assertTrue(mismatches <= total / 500, mismatches + " predictions disagree with the version they name");
    }
    assertEquals(SWAPS + 1, InferenceServiceIT.sum(meters.scrape(), "osprey_inference_model_swaps_total{outcome=\"success\""), 0.0);
  }

  @Test
  @Order(2)
  void failedActivationsKeepTheOldModelServing() throws Exception {
    int before = serving();
    ModelVersion corrupt = TestModels.publish(registry, 0);
    byte[] bytes = Files.readAllBytes(corrupt.file(FileRoles.INT8_ONNX));
    bytes[bytes.length / 3] ^= 0x11;
    Files.write(corrupt.file(FileRoles.INT8_ONNX), bytes);
    ModelVersion otherLabels = TestModels.publish(registry, 1, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));

    // one at a time: the follower applies only the newest activation of a poll, so activations
    // sent together could be judged as one
    int seen = service.history().size();
    TopicClients.activate(producer, topics, corrupt.ref().version());
    seen = awaitHistory(seen + 1);
    TopicClients.activate(producer, topics, 999);
    seen = awaitHistory(seen + 1);
    TopicClients.activate(producer, topics, otherLabels.ref().version());
    seen = awaitHistory(seen + 1);
    TopicClients.sendRaw(producer, topics.models().name(), TestModels.NAME, "garbage".getBytes(StandardCharsets.UTF_8));
    awaitHistory(seen + 1);

    List<String> outcomes = service.history().subList(SWAPS + 1, SWAPS + 5).stream()
        .map(e -> e.version() + ":" + e.outcome().code()).toList();
    assertEquals(List.of(corrupt.ref().version() + ":failed", "999:failed",
        otherLabels.ref().version() + ":incompatible", "0:invalid_event"), outcomes);
    assertEquals(before, serving());

    List<Sample> after = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      after.add(TestModels.sample("after-failures", i, System.currentTimeMillis()));
    }
    TopicClients.sendSamples(producer, topics, after);
    try (TopicClients.Collector predictions = new TopicClients.Collector(kafka.clientProperties(), topics.predictions().name(), true)) {
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(50))
          .until(() -> predictions.poll().distinct(id -> id.startsWith("after-failures-")) == 200);
      for (int i = 0; i < 200; i++) {
        assertEquals(before, predictions.predictions().get("after-failures-" + i).modelVersion());
      }
    }
    String scrape = meters.scrape();
    assertEquals(2, InferenceServiceIT.sum(scrape, "osprey_inference_model_swaps_total{outcome=\"failed\""), 0.0);
    assertEquals(1, InferenceServiceIT.sum(scrape, "osprey_inference_model_swaps_total{outcome=\"incompatible\""), 0.0);
    assertEquals(1, InferenceServiceIT.sum(scrape, "osprey_inference_model_swaps_total{outcome=\"invalid_event\""), 0.0);
  }

  @Test
  @Order(3)
  void adminEndpointRollsBack() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI missing = URI.create("http://127.0.0.1:" + service.httpPort() + "/v1/models/999/activate");
    HttpResponse<String> notFound = http.send(HttpRequest.newBuilder(missing).header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(404, notFound.statusCode(), notFound.body());

    URI rollback = URI.create("http://127.0.0.1:" + service.httpPort() + "/v1/models/1/activate");
    HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(rollback).header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"rollback test\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, accepted.statusCode(), accepted.body());
    assertTrue(accepted.body().contains("\"actor\":\"http-admin\",\"reason\":\"rollback test\",\"manifestSha256\":\""),
        accepted.body());
    await().atMost(Duration.ofSeconds(60)).until(() -> serving() == 1);
  }

  private int awaitHistory(int size) {
    await().atMost(Duration.ofSeconds(60)).until(() -> service.history().size() >= size);
    return service.history().size();
  }
}
