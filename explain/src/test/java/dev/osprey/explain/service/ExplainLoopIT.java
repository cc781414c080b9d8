package dev.osprey.explain.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.Method;
import dev.osprey.explain.PublishedDigits;
import dev.osprey.explain.TrainedDigits;
import dev.osprey.explain.sampling.SamplingPolicy;
import dev.osprey.explain.sampling.SkipReason;
import dev.osprey.explain.sampling.Trigger;
import dev.osprey.model.Softmax;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The explain loop on the embedded broker: samples and predictions of the fixture model (two
 * registry versions, the second half of the traffic predicted by version 2: a swap), sampling at
 * 20/s plus every prediction below 0.6 confidence. Expects one explanation per method for exactly
 * the chosen predictions, each naming the version that predicted it, and the heatmaps written.
 */
class ExplainLoopIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final int SAMPLES = 600;
  static final List<Method> METHODS = List.of(Method.INTEGRATED_GRADIENTS, Method.GRAD_CAM, Method.OCCLUSION);

  @TempDir Path tmp;

  @Test
  void explainsExactlyTheChosenPredictionsWithTheVersionThatMadeThem() throws Exception {
    Topics topics = Topics.defaults();
    kafka.createTopics(topics, 2);
    ModelRegistry registry = new ModelRegistry(tmp.resolve("registry"));
    int v1 = PublishedDigits.publish(registry, tmp).manifest().version();
    int v2 = PublishedDigits.publish(registry, tmp).manifest().version();
    AtomicInteger serving = new AtomicInteger(v1);

    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ExplainMetrics metrics = new ExplainMetrics(meters);
    SamplingPolicy policy = new SamplingPolicy(new SamplingPolicy.Config(20, 20, 0.6, true, true, 10_000),
        PublishedDigits.NAME, System::nanoTime);
    VersionCache versions = new VersionCache(2,
        v -> VersionRuntime.open(registry.load(PublishedDigits.NAME, v), MethodSettings.defaults(), 1));
    ExplanationStore store = new ExplanationStore(100);
    HeatmapStore heatmaps = new HeatmapStore(tmp.resolve("heatmaps"), 50);
    SampleExplainer explainer =
        new SampleExplainer(PublishedDigits.NAME, METHODS, 10, versions, metrics, Clock.systemUTC());
    Properties c = kafka.clientProperties();
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "explain-it");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Consumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    Producer<String, Explanation> explanations = new KafkaProducer<>(kafka.clientProperties(),
        topics.explanations().keySerde().serializer(), topics.explanations().valueSerde().serializer());
    ExplainLoop loop = new ExplainLoop(topics, consumer, explanations, policy, 10_000, 1_000, explainer, versions,
        store, heatmaps, metrics, serving::get);
    Thread worker = new Thread(loop, "explain-it");
    worker.start();

    // the traffic: samples, then the fixture model's predictions (v1 for the first half, v2 after the swap)
    ImageDataset test = TrainedDigits.test();
    Map<String, Integer> versionOf = new HashMap<>();
    Set<String> lowConfidence = new HashSet<>();
    try (OnnxPredictor int8 = OnnxPredictor.openCpu(TrainedDigits.int8(), OrtConfig.cpu(1));
        Producer<String, Sample> samples = new KafkaProducer<>(kafka.clientProperties(),
            topics.samples().keySerde().serializer(), topics.samples().valueSerde().serializer());
        Producer<String, Prediction> predictions = new KafkaProducer<>(kafka.clientProperties(),
            topics.predictions().keySerde().serializer(), topics.predictions().valueSerde().serializer())) {
      float[][] x = TrainedDigits.testInputs(0, SAMPLES);
      for (int i = 0; i < SAMPLES; i++) {
        String id = "s-" + i;
        samples.send(new ProducerRecord<>(topics.samples().name(), id,
            new Sample(Sample.SCHEMA_VERSION, id, System.currentTimeMillis(), Tensor.ofUint8(test.image(i), 1, 28, 28),
                null, null)));
      }
      samples.flush();
      for (int i = 0; i < SAMPLES; i++) {
        int version = i < SAMPLES / 2 ? v1 : v2;
        if (i == SAMPLES / 2) {
          serving.set(v2);
        }
        Predictions p = int8.predict(x[i], 1);
        float[] prob = Softmax.of(p.logits(0));
        int label = Softmax.argmax(prob);
        String id = "s-" + i;
        versionOf.put(id, version);
        if (prob[label] < 0.6f) {
          lowConfidence.add(id);
        }
        predictions.send(new ProducerRecord<>(topics.predictions().name(), id, new Prediction(Prediction.SCHEMA_VERSION,
            id, PublishedDigits.NAME, version, label, Integer.toString(label), prob[label], List.of(), null, "onnx-cpu",
            "int8", 0L, System.currentTimeMillis())));
      }
    }

    // every prediction decided, every chosen one explained
    await().atMost(Duration.ofSeconds(90)).until(() -> decided(policy) == SAMPLES
        && explainedSamples(meters) == chosen(policy));
    List<Explanation> written = readExplanations(topics, chosen(policy) * METHODS.size());
    loop.stop();
    worker.join(10_000);

    Map<Trigger, Long> sampled = policy.sampledCounts();
    long chosen = chosen(policy);
    assertEquals(lowConfidence.size(), sampled.getOrDefault(Trigger.LOW_CONFIDENCE, 0L), "every low-confidence prediction");
    assertTrue(sampled.getOrDefault(Trigger.SAMPLED, 0L) >= 20, "the burst at least: " + sampled);
    assertEquals(SAMPLES - chosen, policy.skippedCounts().get(SkipReason.RATE_LIMITED));
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
    // both versions explained (the swap), with their own runtime
    assertEquals(Set.of(v1, v2), written.stream().map(Explanation::modelVersion).collect(java.util.stream.Collectors.toSet()));
    assertEquals(2, versions.loads());
    // heatmaps: bounded directory of viewable PNGs
    try (Stream<Path> files = Files.list(heatmaps.dir())) {
      List<Path> pngs = files.filter(f -> f.toString().endsWith(".png")).toList();
      assertEquals(Math.min(50, chosen), pngs.size());
      byte[] head = Files.readAllBytes(pngs.get(0));
      assertEquals((byte) 0x89, head[0]);
      assertEquals('P', head[1]);
    }
    assertEquals(0, meters.counter(ExplainMetrics.SKIPPED, "reason", "sample-missing").count());
    System.out.printf("explained %d of %d predictions (%s), %d explanations%n", chosen, SAMPLES, sampled, written.size());
  }

  private static long decided(SamplingPolicy policy) {
    return policy.sampledCounts().values().stream().mapToLong(Long::longValue).sum()
        + policy.skippedCounts().values().stream().mapToLong(Long::longValue).sum();
  }

  private static long chosen(SamplingPolicy policy) {
    return policy.sampledCounts().values().stream().mapToLong(Long::longValue).sum();
  }

  private static double explainedSamples(SimpleMeterRegistry meters) {
    return meters.find(ExplainMetrics.EXPLANATIONS).tag("method", "ig").counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
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
