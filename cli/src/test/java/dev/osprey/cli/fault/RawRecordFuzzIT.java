package dev.osprey.cli.fault;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.cli.fault.FuzzedRecords.Fate;
import dev.osprey.cli.fault.FuzzedRecords.FuzzRecord;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.service.DeadLetterHeaders;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
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

/**
 * The fault and fuzz suite: {@link FuzzedRecords} against the real ingest and inference on the
 * embedded broker. Every record must end up in exactly one place, predicted
 * ({@code osprey.samples -> osprey.predictions}), in {@code osprey.feedback}, or in
 * {@code osprey.dlq} with a reason; nothing is lost, nothing duplicated, nothing in the outputs is
 * unexplained, and where the generator knows the fate it must be that one. No stream thread may
 * die, and both services must say they are healthy throughout.
 *
 * <p>Bounded form (the normal suite): {@value #DEFAULT_RECORDS} records. Full form:
 * {@code -Dosprey.fuzz.records=10000} (see docs/operations.md for the command and its figures).
 */
class RawRecordFuzzIT {
  static final int DEFAULT_RECORDS = 1500;
  static final int RECORDS = Integer.getInteger("osprey.fuzz.records", DEFAULT_RECORDS);
  private static final String SEQ_HEADER = "fuzz-seq";
  private static final Pattern PREDICTION_KEY = Pattern.compile("^fz-(\\d+)-");

  private static EmbeddedKafkaBroker broker;
  private static Path dir;
  private static IngestService ingest;
  private static InferenceService inference;
  private static final Topics topics = Topics.defaults();

  @BeforeContainer
  static void start() throws Exception {
    DjlOfflineGuard.install();
    broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.ephemeral());
    try (TopicAdmin admin = new TopicAdmin(kafka())) {
      admin.createAll(topics, 3, (short) 1);
    }
    dir = Files.createTempDirectory("osprey-fuzz-");
    ModelRegistry registry = new ModelRegistry(dir.resolve("registry"));
    Path onnx = dir.resolve("linear-mnist.onnx");
    try (InputStream in = RawRecordFuzzIT.class.getResourceAsStream("/models/linear-mnist.onnx")) {
      Files.write(onnx, in.readAllBytes());
    }
    new ModelImporter(registry, OrtEnvironment.getEnvironment()).importOnnx(new ModelImporter.ImportRequest(onnx, "fuzz",
        InputSpec.mnist(), List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), null, List.of()));
    try (ActivationPublisher publisher = new ActivationPublisher(registry, topics, kafka(), Clock.systemUTC())) {
      publisher.activate("fuzz", 1, "fuzz", "fuzz suite");
    }
    ingest = new IngestService(IngestConfig.of(kafka(), dir.resolve("ingest")), topics, PrometheusMetrics.newRegistry("ingest"));
    ingest.start();
    inference = new InferenceService(InferenceConfig.of("fuzz").withHttp("127.0.0.1", -1, null), topics,
        PrometheusMetrics.newRegistry("inference"), registry, kafka());
    inference.start();
  }

  @AfterContainer
  static void stop() throws Exception {
    // services before the broker they talk to
    for (AutoCloseable c : java.util.Arrays.asList(inference, ingest, broker)) {
      if (c != null) {
        c.close();
      }
    }
    if (dir != null) {
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static Properties kafka() {
    Properties p = new Properties();
    p.put("bootstrap.servers", broker.bootstrapServers());
    return p;
  }

  @Provide
  Arbitrary<List<FuzzRecord>> records() {
    return FuzzedRecords.any().list().ofSize(RECORDS);
  }

  @Property(tries = 1, seed = "20261129", shrinking = ShrinkingMode.OFF, edgeCases = EdgeCasesMode.NONE)
  void everyRawRecordEndsUpInExactlyOnePlace(@ForAll("records") List<FuzzRecord> generated) throws Exception {
    long start = System.nanoTime();
    List<FuzzRecord> sent = new ArrayList<>();
    Map<Integer, String> refused = send(generated, sent);
    Map<Integer, List<String>> places = new HashMap<>();
    List<String> unexplained = new ArrayList<>();
    Map<String, Integer> byPlace = new TreeMap<>();
    try (KafkaConsumer<String, byte[]> out = outputs()) {
      int wanted = sent.size() - refused.size();
      await().atMost(Duration.ofMinutes(RECORDS > 5000 ? 20 : 5)).pollInterval(Duration.ofMillis(10))
          .failFast("a stream thread died", () -> ingest.recentThreadReplacements() > 0)
          .failFast("ingest unhealthy", () -> !ingest.health().ready())
          .failFast("inference unhealthy", () -> !inference.health().ready())
          .until(() -> {
            collect(out, sent, places, unexplained, byPlace);
            return places.size() >= wanted;
          });
      // then nothing more arrives: no late duplicate
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> collect(out, sent, places, unexplained, byPlace) == 0);
    }
    int lost = 0;
    int duplicated = 0;
    List<String> mismatched = new ArrayList<>();
    for (int seq = 0; seq < sent.size(); seq++) {
      if (refused.containsKey(seq)) {
        continue;
      }
      List<String> at = places.getOrDefault(seq, List.of());
      if (at.isEmpty()) {
        lost++;
        mismatched.add(seq + " lost: " + describe(sent.get(seq)));
      } else if (at.size() > 1) {
        duplicated++;
        mismatched.add(seq + " in " + at);
      } else if (!fits(sent.get(seq), at.get(0))) {
        mismatched.add(seq + " expected " + sent.get(seq).fate() + "/" + sent.get(seq).reason() + " but " + at.get(0)
            + ": " + describe(sent.get(seq)));
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Map<String, Integer> kinds = new TreeMap<>();
    sent.forEach(r -> kinds.merge(r.kind(), 1, Integer::sum));
    System.out.printf("fuzz: %d records %s in %.1f s; refused by the producer %d; outcomes %s; lost %d, duplicated %d, "
        + "unexplained %d, mismatched %d; stream threads replaced %d; ingest %s, inference %s%n", sent.size(), kinds,
        seconds, refused.size(), byPlace, lost, duplicated, unexplained.size(), mismatched.size(),
        ingest.recentThreadReplacements(), ingest.health().status(), inference.health().status());
    assertEquals(List.of(), unexplained, "records in the outputs no input explains");
    assertEquals(List.of(), mismatched.subList(0, Math.min(20, mismatched.size())), mismatched.size() + " records misplaced");
    assertEquals(0, ingest.recentThreadReplacements(), "no stream thread died");
    assertEquals(Health.Status.READY, ingest.health().status());
    assertTrue(inference.health().ready(), inference.health().toString());
    assertTrue(refused.size() < sent.size() / 100, "the generator keeps records the broker takes: " + refused);
  }

  /** Sends every record, numbered, through a producer of its compression; returns the ones Kafka refused. */
  private static Map<Integer, String> send(List<FuzzRecord> generated, List<FuzzRecord> sent) throws Exception {
    Map<String, KafkaProducer<String, byte[]>> producers = new HashMap<>();
    Map<Integer, Future<RecordMetadata>> futures = new HashMap<>();
    Map<Integer, String> refused = new TreeMap<>();
    try {
      for (int seq = 0; seq < generated.size(); seq++) {
        FuzzRecord r = generated.get(seq).at(seq);
        sent.add(r);
        KafkaProducer<String, byte[]> producer = producers.computeIfAbsent(r.compression(), c -> {
          Properties p = kafka();
          p.put("compression.type", c);
          p.put("max.request.size", Integer.toString(16 << 20));
          p.put("linger.ms", "5");
          return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        });
        String topic = r.target() == FuzzedRecords.Target.SAMPLES ? topics.samplesRaw().name() : topics.feedbackRaw().name();
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, r.key(), r.value());
        record.headers().add(SEQ_HEADER, Integer.toString(seq).getBytes(StandardCharsets.US_ASCII));
        r.headers().forEach(h -> record.headers().add(h));
        futures.put(seq, producer.send(record));
      }
      producers.values().forEach(KafkaProducer::flush);
      for (Map.Entry<Integer, Future<RecordMetadata>> f : futures.entrySet()) {
        try {
          f.getValue().get();
        } catch (java.util.concurrent.ExecutionException e) {
          refused.put(f.getKey(), e.getCause().toString());
        }
      }
    } finally {
      producers.values().forEach(KafkaProducer::close);
    }
    return refused;
  }

  private static KafkaConsumer<String, byte[]> outputs() {
    Properties p = kafka();
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = new ArrayList<>();
    for (String t : List.of(topics.predictions().name(), topics.feedback().name(), topics.dlq().name())) {
      c.partitionsFor(t).forEach(i -> parts.add(new TopicPartition(t, i.partition())));
    }
    c.assign(parts);
    c.seekToBeginning(parts);
    return c;
  }

  /** Polls the outputs once and files each record under its input; returns how many records came. */
  private static int collect(KafkaConsumer<String, byte[]> out, List<FuzzRecord> sent, Map<Integer, List<String>> places,
      List<String> unexplained, Map<String, Integer> byPlace) {
    int n = 0;
    for (ConsumerRecord<String, byte[]> r : out.poll(Duration.ofMillis(200))) {
      n++;
      String place;
      Integer seq;
      if (r.topic().equals(topics.predictions().name())) {
        Matcher m = r.key() == null ? null : PREDICTION_KEY.matcher(r.key());
        seq = m != null && m.find() ? Integer.valueOf(m.group(1)) : null;
        place = "predicted";
        if (seq != null && (seq >= sent.size() || !r.key().equals(sent.get(seq).id()))) {
          unexplained.add("prediction keyed '" + r.key() + "' names no sample id sent");
          continue;
        }
      } else {
        String s = DeadLetterHeaders.read(r.headers(), SEQ_HEADER);
        seq = s == null ? null : Integer.valueOf(s);
        String reason = DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON);
        if (r.topic().equals(topics.dlq().name()) && reason == null) {
          unexplained.add("dead letter of " + s + " without a reason");
          continue;
        }
        place = r.topic().equals(topics.feedback().name()) ? "feedback" : "dlq:" + reason;
      }
      if (seq == null) {
        unexplained.add(place + " record keyed '" + r.key() + "' carries no sequence number");
        continue;
      }
      places.computeIfAbsent(seq, k -> new ArrayList<>()).add(place);
      byPlace.merge(place, 1, Integer::sum);
    }
    return n;
  }

  private static boolean fits(FuzzRecord r, String place) {
    return switch (r.fate()) {
      case PREDICTED -> place.equals("predicted");
      case FEEDBACK -> place.equals("feedback");
      case DEAD_LETTERED -> place.startsWith("dlq:") && (r.reason() == null || place.equals("dlq:" + r.reason()));
      case EITHER -> r.target() == FuzzedRecords.Target.SAMPLES ? !place.equals("feedback") : !place.equals("predicted");
    };
  }

  private static String describe(FuzzRecord r) {
    byte[] v = r.value();
    String text = v == null ? "null" : new String(v, 0, Math.min(v.length, 160), StandardCharsets.UTF_8);
    long headerBytes = r.headers().stream().mapToLong(h -> h.value() == null ? 0 : h.value().length).sum();
    return r.kind() + " to " + r.target() + " (" + r.compression() + ", key " + (r.key() == null ? "null"
        : r.key().length() > 40 ? r.key().length() + " chars" : "'" + r.key() + "'") + ", " + (v == null ? 0 : v.length)
        + " bytes, headers " + headerBytes + " bytes): " + text;
  }

}
