package dev.osprey.cli.fault;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.service.Health;
import dev.osprey.core.topic.Topics;
import dev.osprey.inference.InferenceConfig;
import dev.osprey.inference.InferenceService;
import dev.osprey.ingest.IngestConfig;
import dev.osprey.ingest.IngestService;
import dev.osprey.model.InputSpec;
import dev.osprey.model.registry.ActivationPublisher;
import dev.osprey.model.registry.ModelImporter;
import dev.osprey.model.registry.ModelRegistry;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker goes down mid-stream and comes back on the same port and data: ingest and inference,
 * left running, must deliver exactly one prediction per sample sent before and after, and report
 * healthy again.
 */
class BrokerRestartIT {
  private static final int HALF = 1500;
  private static final EventCodec CODEC = new EventCodec();
  private final Topics topics = Topics.defaults();

  @TempDir Path tmp;

  @Test
  void aBrokerRestartMidStreamLosesAndDuplicatesNothing() throws Exception {
    DjlOfflineGuard.install();
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(0, tmp.resolve("kafka"), 3));
    int port = broker.port();
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", broker.bootstrapServers());
    IngestService ingest = null;
    InferenceService inference = null;
    try {
      try (TopicAdmin admin = new TopicAdmin(kafka)) {
        admin.createAll(topics, 3, (short) 1);
      }
      ModelRegistry registry = new ModelRegistry(tmp.resolve("registry"));
      Path onnx = tmp.resolve("linear-mnist.onnx");
      try (InputStream in = getClass().getResourceAsStream("/models/linear-mnist.onnx")) {
        Files.write(onnx, in.readAllBytes());
      }
      new ModelImporter(registry, OrtEnvironment.getEnvironment()).importOnnx(new ModelImporter.ImportRequest(onnx,
          "restart", InputSpec.mnist(), List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), null, List.of()));
      try (ActivationPublisher publisher = new ActivationPublisher(registry, topics, kafka, Clock.systemUTC())) {
        publisher.activate("restart", 1, "test", "broker restart");
      }
      ingest = new IngestService(IngestConfig.of(kafka, tmp.resolve("ingest")), topics, PrometheusMetrics.newRegistry("i"));
      ingest.start();
      inference = new InferenceService(InferenceConfig.of("restart").withHttp("127.0.0.1", -1, null), topics,
          PrometheusMetrics.newRegistry("n"), registry, kafka);
      inference.start();

      send(kafka, 0, HALF);
      IngestService in = ingest;
      InferenceService inf = inference;
      await().atMost(Duration.ofMinutes(2)).until(() -> predictions(kafka).size() >= HALF / 3);
      broker.close();
      broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(port, tmp.resolve("kafka"), 3));
      // the restarted broker takes a moment (longer on a loaded machine) to lead every partition again
      try (TopicAdmin admin = new TopicAdmin(kafka)) {
        admin.awaitWritable(topics.all().stream().map(t -> t.name()).toList(), Duration.ofMinutes(3));
      }
      send(kafka, HALF, 2 * HALF);

      Map<String, Integer> seen = new HashMap<>();
      await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
          .until(() -> {
            seen.clear();
            seen.putAll(predictions(kafka));
            return seen.size() >= 2 * HALF;
          });
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1))
          .until(() -> predictions(kafka).values().stream().mapToInt(Integer::intValue).sum() == 2 * HALF);
      assertEquals(2 * HALF, seen.size(), "every sample predicted");
      assertTrue(seen.values().stream().allMatch(n -> n == 1), "no sample predicted twice");
      await().atMost(Duration.ofMinutes(1)).until(() -> in.health().status() == Health.Status.READY && inf.health().ready());
      System.out.printf("broker restart: %d samples, %d predictions, %d stream threads replaced%n", 2 * HALF,
          seen.size(), in.recentThreadReplacements());
    } finally {
      for (AutoCloseable c : java.util.Arrays.asList(inference, ingest, broker)) {
        if (c != null) {
          c.close();
        }
      }
    }
  }

  private void send(Properties kafka, int from, int to) throws Exception {
    Random rnd = new Random(from);
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(kafka, new StringSerializer(), new ByteArraySerializer())) {
      for (int i = from; i < to; i++) {
        byte[] px = new byte[784];
        rnd.nextBytes(px);
        String id = "br-" + i;
        Sample s = Sample.ofTensor(id, System.currentTimeMillis(), Tensor.ofUint8(px, 1, 28, 28), Map.of());
        sent.add(p.send(new ProducerRecord<>(topics.samplesRaw().name(), id, CODEC.encode(s))));
      }
      for (Future<RecordMetadata> f : sent) {
        f.get();
      }
    }
  }

  /** Committed predictions by sample id, counted. */
  private Map<String, Integer> predictions(Properties kafka) {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Map<String, Integer> out = new HashMap<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topics.predictions().name()).stream()
          .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.merge(r.key(), 1, Integer::sum);
        }
      }
    }
    return out;
  }
}
