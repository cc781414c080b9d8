package dev.osprey.explain.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.service.Health;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.Method;
import dev.osprey.explain.PublishedDigits;
import dev.osprey.explain.TrainedDigits;
import dev.osprey.explain.sampling.CpuBudget;
import dev.osprey.explain.sampling.SamplingPolicy;
import dev.osprey.model.registry.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The explain service on the embedded broker: samples and predictions of the fixture model (two
 * registry versions activated on osprey.models one after the other, the second half of the traffic
 * predicted by version 2: a swap), sampling at
 * 20/s plus every prediction below 0.6 confidence. Expects one explanation per method for exactly
 * the chosen predictions, each naming the version that predicted it, and the heatmaps written.
 */
class ExplainServiceIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final int SAMPLES = 600;
  static final List<Method> METHODS = List.of(Method.INTEGRATED_GRADIENTS, Method.GRAD_CAM, Method.OCCLUSION);

  @TempDir Path tmp;

  @Test
  void explainsExactlyTheChosenPredictionsWithTheVersionThatMadeThemAcrossASwap() throws Exception {
    Topics topics = Topics.defaults();
    kafka.createTopics(topics, 2);
    ModelRegistry registry = new ModelRegistry(tmp.resolve("registry"));
    int v1 = PublishedDigits.publish(registry, tmp).manifest().version();
    int v2 = PublishedDigits.publish(registry, tmp).manifest().version();
    DigitTraffic.activate(kafka.clientProperties(), topics, v1);

    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // The acceptance asks for explanations of exactly the sampled and low-confidence predictions, so
    // the CPU budget (on by default, processing-time based) is off here: it would skip some of them
    // depending on this machine's speed. CpuBudgetTest and ExplainBudgetTest cover the budget.
    ExplainConfig config = ExplainConfig.of(PublishedDigits.NAME)
        .withSampling(new SamplingPolicy.Config(20, 20, 0.6, true, true, 10_000))
        .withBudget(CpuBudget.Config.off())
        .withMethods(METHODS)
        .withHeatmaps(tmp.resolve("heatmaps"), 50)
        .withHttp("127.0.0.1", 0)
        .withOffsetReset("earliest");
    try (ExplainService service = new ExplainService(config, topics, meters, registry, kafka.clientProperties())) {
      service.start();
      assertEquals(v1, service.serving().orElseThrow().ref().version());
      assertEquals(Health.Status.READY, service.health().status());

      // the traffic: samples, then the fixture model's predictions (v1 for the first half, v2 after the swap)
      DigitTraffic.Produced traffic = DigitTraffic.replay(kafka.clientProperties(), topics, SAMPLES, v1, v2, () -> {
        DigitTraffic.activate(kafka.clientProperties(), topics, v2);
        await().atMost(Duration.ofSeconds(60)).until(() -> service.serving().map(s -> s.ref().version()).orElse(0) == v2);
      }, 0.6f);
      Map<String, Integer> versionOf = traffic.versionOf();
      Set<String> lowConfidence = traffic.lowConfidence();
      long[] span = {traffic.firstTimestamp(), traffic.lastTimestamp()};

      // every prediction decided, every chosen one explained

      await().atMost(Duration.ofSeconds(90)).until(() -> decided(meters) == SAMPLES
          && explainedSamples(meters) == chosen(meters));
      List<Explanation> written = readExplanations(topics, chosen(meters) * METHODS.size());

      long chosen = chosen(meters);
      double lowCount = meters.counter(ExplainMetrics.SAMPLED, "reason", "low-confidence").count();
      double sampledCount = meters.counter(ExplainMetrics.SAMPLED, "reason", "sampled").count();
      assertEquals(lowConfidence.size(), (long) lowCount, "every low-confidence prediction");
      // 20 per second of prediction time plus the burst of 20 (the rate counts event time)
      assertTrue(sampledCount >= 20, "the burst at least: " + sampledCount);
      assertTrue(sampledCount <= 20 + 20 * (span[1] - span[0]) / 1000.0 + 1,
          sampledCount + " sampled over " + (span[1] - span[0]) + " ms of predictions");
      assertEquals(SAMPLES - chosen, (long) meters.counter(ExplainMetrics.SKIPPED, "reason", "rate-limited").count());
      assertEquals(chosen * METHODS.size(), written.size(), "one explanation per method per chosen prediction");
      Map<String, Set<String>> methodsOf = new HashMap<>();
      for (Explanation e : written) {
        assertEquals(versionOf.get(e.sampleId()), e.modelVersion(), "the version that predicted " + e.sampleId());
        methodsOf.computeIfAbsent(e.sampleId(), k -> new HashSet<>()).add(e.method());
        if (lowConfidence.contains(e.sampleId())) {
          assertEquals("low-confidence", e.trigger());
        }
      }
      assertEquals(chosen, methodsOf.size());
      assertTrue(methodsOf.keySet().containsAll(lowConfidence));
      assertTrue(methodsOf.values().stream().allMatch(m -> m.equals(Set.of("ig", "gradcam", "occlusion"))));
      assertEquals(Set.of(v1, v2), written.stream().map(Explanation::modelVersion).collect(Collectors.toSet()));
      assertEquals(0, meters.counter(ExplainMetrics.SKIPPED, "reason", "sample-missing").count());
      assertEquals(0, meters.counter(ExplainMetrics.SKIPPED, "reason", "version-unavailable").count());
      // heatmaps: a bounded directory of viewable PNGs
      try (Stream<Path> files = Files.list(tmp.resolve("heatmaps"))) {
        List<Path> pngs = files.filter(f -> f.toString().endsWith(".png")).toList();
        assertEquals(Math.min(50, chosen), pngs.size());
        assertTrue(ImageIO.read(pngs.get(0).toFile()).getWidth() >= 4 * 28 * (METHODS.size() + 1));
      }
      http(service, written.get(written.size() - 1).sampleId(), meters);
      System.out.printf("explained %d of %d predictions over %d ms of prediction time (%.0f sampled, %.0f low-confidence),"
          + " %d explanations%n", chosen, SAMPLES, span[1] - span[0], sampledCount, lowCount, written.size());
    }
  }

  /** The HTTP API: stored explanations and heatmap by id, an on-demand explanation, health, metrics. */
  private static void http(ExplainService service, String storedId, PrometheusMeterRegistry meters) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String base = "http://127.0.0.1:" + service.httpPort();
    HttpResponse<String> stored = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/explanations/" + storedId))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, stored.statusCode(), stored.body());
    assertTrue(stored.body().contains("\"sampleId\":\"" + storedId + "\""), stored.body());
    HttpResponse<byte[]> png = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/explanations/" + storedId
        + ".png")).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, png.statusCode());
    assertEquals("image/png", png.headers().firstValue("Content-Type").orElse(""));
    byte[] sample = new EventCodec().encode(new Sample(Sample.SCHEMA_VERSION, "ask-1", 1L,
        Tensor.ofUint8(TrainedDigits.test().image(7), 1, 28, 28), null, null));
    HttpResponse<String> asked = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/explain?methods=gradient,shap"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(sample)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, asked.statusCode(), asked.body());
    List<Explanation> answer = List.of(new EventCodec().mapper().readValue(asked.body(), Explanation[].class));
    assertEquals(List.of("gradient", "shap"), answer.stream().map(Explanation::method).toList());
    assertEquals("request", answer.get(0).trigger());
    assertEquals(service.serving().orElseThrow().ref().version(), answer.get(0).modelVersion());
    assertEquals(0.0, answer.get(1).completenessResidual(), 1e-4, "KernelSHAP's efficiency");
    HttpResponse<String> tooLarge = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/explain"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[(1 << 20) + 10])).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(413, tooLarge.statusCode());
    assertEquals(404, client.send(HttpRequest.newBuilder(URI.create(base + "/v1/explanations/nope")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(200, client.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
    String metrics = client.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    for (String name : List.of("osprey_explain_explanations_total", "osprey_explain_duration_seconds_bucket",
        "osprey_explain_completeness_residual", "osprey_explain_sampled_total", "osprey_explain_skipped_total",
        "osprey_explain_lag_seconds_bucket", "osprey_explain_model_info")) {
      assertTrue(metrics.contains(name), name + " missing from /metrics");
    }
  }

  private static long decided(PrometheusMeterRegistry meters) {
    return (long) (meters.find(ExplainMetrics.SAMPLED).counters().stream().mapToDouble(Counter::count).sum()
        + meters.find(ExplainMetrics.SKIPPED).counters().stream().mapToDouble(Counter::count).sum());
  }

  private static long chosen(PrometheusMeterRegistry meters) {
    return (long) meters.find(ExplainMetrics.SAMPLED).counters().stream().mapToDouble(Counter::count).sum();
  }

  private static double explainedSamples(PrometheusMeterRegistry meters) {
    return meters.find(ExplainMetrics.EXPLANATIONS).tag("method", "ig").counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  private static List<Explanation> readExplanations(Topics topics, long expected) {
    Properties c = kafka.clientProperties();
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "explain-it-reader");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<Explanation> out = new ArrayList<>();
    try (Consumer<String, Explanation> reader = new KafkaConsumer<>(c, new StringDeserializer(),
        topics.explanations().valueSerde().deserializer())) {
      reader.subscribe(List.of(topics.explanations().name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, Explanation> r : reader.poll(Duration.ofMillis(200))) {
          out.add(r.value());
        }
      }
      // nothing beyond the expected count
      for (ConsumerRecord<String, Explanation> r : reader.poll(Duration.ofSeconds(1))) {
        out.add(r.value());
      }
    }
    return out;
  }
}
