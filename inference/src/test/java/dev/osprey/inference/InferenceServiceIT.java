package dev.osprey.inference;

import dev.osprey.model.serving.TestModels;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * The service end to end on a real broker: 10,000 samples in, exactly 10,000 predictions out
 * (read_committed) at the accuracy the manifest states, poison samples in the DLQ with their
 * reason; then the HTTP API, whose predictions must equal the Kafka path's for the same images.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InferenceServiceIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final int SAMPLES = 10_000;
  private static final String TOKEN = "test-admin-token-0123";
  private static final EventCodec CODEC = new EventCodec();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Topics topics = Topics.defaults();
  private static Path registryDir;
  private static ModelRegistry registry;
  private static PrometheusMeterRegistry meters;
  private static InferenceService service;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    kafka.createTopics(topics, 3);
    registryDir = Files.createTempDirectory("osprey-registry-");
    registry = new ModelRegistry(registryDir);
    TestModels.publish(registry, 0);
    try (KafkaProducer<String, byte[]> p = TopicClients.producer(kafka.clientProperties())) {
      TopicClients.activate(p, topics, 1);
    }
    meters = PrometheusMetrics.newRegistry("inference");
    service = new InferenceService(InferenceConfig.of(TestModels.NAME).withHttp("127.0.0.1", 0, TOKEN),
        topics, meters, registry, kafka.clientProperties());
    service.start();
    assertEquals("digits:1", service.serving().orElseThrow().ref().toString(), "start() returns with the production model");
  }

  @AfterAll
  static void stop() throws Exception {
    if (service != null) {
      service.close();
      service.close(); // idempotent
    }
    try (var walk = Files.walk(registryDir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  @Order(1)
  void tenThousandSamplesGiveExactlyTenThousandPredictionsAtTheManifestAccuracy() throws Exception {
    long now = System.currentTimeMillis();
    List<Sample> samples = new ArrayList<>(SAMPLES);
    for (int i = 0; i < SAMPLES; i++) {
      samples.add(TestModels.sample("e2e", i, now));
    }
    try (KafkaProducer<String, byte[]> p = TopicClients.producer(kafka.clientProperties())) {
      TopicClients.sendSamples(p, topics, samples.subList(0, SAMPLES / 2));
      // poison in the middle of the stream: valid events that do not fit the model, and junk
      TopicClients.sendSamples(p, topics, List.of(
          Sample.ofTensor("poison-shape", now, Tensor.ofFloat32(new float[] {1, 2, 3, 4}, 4), Map.of()),
          Sample.ofFeatures("poison-features", now, Map.of("a", 1.0), Map.of())));
      TopicClients.sendRaw(p, topics.samples().name(), "poison-json", "{nope".getBytes(StandardCharsets.UTF_8));
      TopicClients.sendSamples(p, topics, samples.subList(SAMPLES / 2, SAMPLES));
    }
    try (TopicClients.Collector predictions = new TopicClients.Collector(kafka.clientProperties(), topics.predictions().name(), true);
        TopicClients.Collector dlq = new TopicClients.Collector(kafka.clientProperties(), topics.dlq().name(), false)) {
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(50))
          .until(() -> predictions.poll().distinct(id -> id.startsWith("e2e-")) == SAMPLES);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> TopicClients.groupCaughtUp(kafka.clientProperties(), "osprey-inference", topics.samples().name()));
      await().atMost(Duration.ofSeconds(30)).until(() -> predictions.poll().atEnd() && dlq.poll().atEnd());

      assertEquals(SAMPLES, predictions.records(id -> id.startsWith("e2e-")).size(), "one prediction per sample, no duplicates");
      int correct = 0;
      int agree = 0;
      TestModels.Variant v = TestModels.variants().get(0);
      for (int i = 0; i < SAMPLES; i++) {
        Prediction p = predictions.predictions().get("e2e-" + i);
        assertEquals(1, p.modelVersion());
        assertEquals("onnx-cpu", p.runtime());
        assertEquals("int8", p.precision());
        assertEquals(now, p.sampleTimestamp());
        correct += p.label() == TestModels.test().label(i % 1000) ? 1 : 0;
        agree += p.label() == v.int8Predictions()[i % 1000] ? 1 : 0;
      }
      double manifestAccuracy = registry.manifest(TestModels.NAME, 1).metric("accuracy");
      assertTrue(manifestAccuracy > 0.8, "the test model learned something: " + manifestAccuracy);
      assertEquals(manifestAccuracy, correct / (double) SAMPLES, 0.002, "streamed accuracy vs manifest");
      assertTrue(agree >= SAMPLES - 20, "streamed labels agree with the offline int8 run: " + agree);

      Map<String, String> reasons = new TreeMap<>();
      for (ConsumerRecord<String, byte[]> r : dlq.records(id -> true)) {
        reasons.put(r.key(), header(r, DeadLetterHeaders.REASON));
        assertEquals(topics.samples().name(), header(r, DeadLetterHeaders.SOURCE_TOPIC));
      }
      assertEquals(Map.of("poison-features", "incompatible-input", "poison-json", "not-json",
          "poison-shape", "incompatible-input"), reasons);
    }
    String scrape = meters.scrape();
    assertEquals(SAMPLES, sum(scrape, "osprey_inference_predictions_total{"), 0.0);
    assertEquals(3, sum(scrape, "osprey_inference_dead_letters_total{"), 0.0);
    assertEquals(1, sum(scrape, "osprey_inference_model_swaps_total{outcome=\"success\""), 0.0);
    assertTrue(scrape.contains("osprey_inference_model_info{fallback=\"false\",model_name=\"digits\",model_version=\"1\","
        + "plan=\"int8\",requested_precision=\"auto\",requested_runtime=\"onnx-cpu\",runtime=\"onnx-cpu\","
        + "service=\"inference\"} 1\n"), scrape);
    // the Kafka clients' own metrics are bound too: the producer sent at least every prediction
    assertTrue(sum(scrape, "kafka_producer_record_send_total{") >= SAMPLES, "producer metrics bound");
    assertTrue(scrape.contains("kafka_consumer_fetch_manager_records_consumed_total{"), "consumer metrics bound");
    // start-up as a user sees it: from the (test) JVM's start, so more than the service's own start
    double startup = sum(scrape, "osprey_inference_start_to_first_prediction_seconds");
    assertTrue(startup > 0 && startup < 600, "start to first prediction: " + startup + " s");
  }

  @Test
  @Order(2)
  void httpAndKafkaGiveIdenticalPredictions() throws Exception {
    long now = System.currentTimeMillis();
    List<Sample> batch = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      batch.add(TestModels.sample("http", i, now));
    }
    HttpResponse<String> many = post("/v1/predict", CODEC.encodeToString(batch));
    assertEquals(200, many.statusCode(), many.body());
    Prediction[] answered = JSON.readValue(many.body(), Prediction[].class);
    assertEquals(40, answered.length);
    try (TopicClients.Collector predictions = new TopicClients.Collector(kafka.clientProperties(), topics.predictions().name(), true)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> predictions.poll().atEnd());
      for (int i = 0; i < 40; i++) {
        Prediction viaKafka = predictions.predictions().get("e2e-" + i);
        Prediction viaHttp = answered[i];
        assertEquals("http-" + i, viaHttp.sampleId());
        assertEquals(viaKafka.modelVersion(), viaHttp.modelVersion());
        assertEquals(viaKafka.label(), viaHttp.label());
        assertEquals(viaKafka.probabilities(), viaHttp.probabilities(), "sample " + i);
        assertEquals(viaKafka.confidence(), viaHttp.confidence());
      }
    }
    HttpResponse<String> one = post("/v1/predict", CODEC.encodeToString(batch.get(3)));
    assertEquals(200, one.statusCode(), one.body());
    assertEquals(answered[3].probabilities(), JSON.readValue(one.body(), Prediction.class).probabilities());
  }

  @Test
  @Order(3)
  void httpErrorsAreJsonWithAReason() throws Exception {
    assertError(post("/v1/predict", "{nope"), 400, "not-json");
    assertError(post("/v1/predict", "[]"), 400, "missing-field");
    assertError(post("/v1/predict", "{\"schemaVersion\":1,\"id\":\"x\",\"timestamp\":1}"), 400, "missing-field");
    Sample wrongShape = Sample.ofTensor("w", 1, Tensor.ofFloat32(new float[] {1, 2}, 2), Map.of());
    HttpResponse<String> r = post("/v1/predict", CODEC.encodeToString(List.of(TestModels.sample("ok", 0, 1), wrongShape)));
    assertError(r, 422, "incompatible-input");
    assertEquals(1, JSON.readTree(r.body()).get("index").asInt());
    assertError(post("/v1/predict", "x".repeat(InferenceConfig.DEFAULT_MAX_REQUEST_BYTES + 1)), 413, "too-large");
    assertError(send(HttpRequest.newBuilder(uri("/v1/predict")).GET()), 405, "method-not-allowed");
    assertError(send(HttpRequest.newBuilder(uri("/nowhere")).GET()), 404, "not-found");
    assertError(post("/v1/models/1/activate", ""), 401, "unauthorized");
    assertError(send(HttpRequest.newBuilder(uri("/v1/models/1/activate")).header("Authorization", "Bearer wrong-token-000000")
        .POST(HttpRequest.BodyPublishers.noBody())), 401, "unauthorized");
  }

  @Test
  @Order(4)
  void healthReadyModelsAndMetrics() throws Exception {
    HttpResponse<String> health = send(HttpRequest.newBuilder(uri("/health")).GET());
    assertEquals(200, health.statusCode());
    assertEquals("{\"status\":\"UP\"}", health.body().trim());
    HttpResponse<String> ready = send(HttpRequest.newBuilder(uri("/ready")).GET());
    assertEquals(200, ready.statusCode());
    assertEquals("{\"ready\":true,\"model\":\"digits:1\"}", ready.body().trim());
    JsonNode models = JSON.readTree(send(HttpRequest.newBuilder(uri("/v1/models")).GET()).body());
    assertEquals(1, models.get("serving").get("version").asInt());
    assertEquals("onnx-cpu", models.get("serving").get("runtime").asText());
    assertEquals("success", models.get("history").get(0).get("outcome").asText());
    HttpResponse<String> metrics = send(HttpRequest.newBuilder(uri("/metrics")).GET());
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("osprey_inference_http_requests_total{route=\"/v1/predict\",service=\"inference\",status=\"200\"}"),
        metrics.body());
    assertTrue(metrics.body().contains("osprey_inference_end_to_end_latency_seconds_bucket{model_version=\"1\""));
  }

  private static String header(ConsumerRecord<String, byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  static double sum(String scrape, String prefix) {
    double total = 0;
    for (String line : scrape.split("\n")) {
      if (line.startsWith(prefix)) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  private static void assertError(HttpResponse<String> r, int status, String code) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    assertEquals(code, JSON.readTree(r.body()).get("error").asText(), r.body());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + service.httpPort() + path);
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
