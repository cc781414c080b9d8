package dev.osprey.inference.bench;

import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.model.serving.TestModels;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.topic.Topics;
import dev.osprey.inference.InferenceConfig;
import dev.osprey.inference.InferenceService;
import dev.osprey.inference.TopicClients;
import dev.osprey.model.InputSpec;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * End-to-end inference benchmark on the embedded broker (a measurement, not a test): the raw
 * int8 runtime loop, the service's throughput and latency (sample timestamp -> prediction read
 * read_committed) at several offered rates, latency while the model is swapped every second, and
 * resident memory over 200 swaps. Prints a markdown report.
 *
 * <p>Args: {@code [seconds-per-rate] [rates,comma,separated] [swaps]}; 0 as a rate = as fast as possible.
 */
public final class InferenceBenchmark {
  private static final EventCodec CODEC = new EventCodec();

  private InferenceBenchmark() {}

  record Run(String name, double offered, long samples, double seconds, double[] latencyMs) {
    String row() {
      double[] l = latencyMs.clone();
      Arrays.sort(l);
      return String.format(Locale.ROOT, "| %s | %s | %d | %.0f | %.1f | %.1f | %.1f |", name,
          offered == 0 ? "max" : String.format(Locale.ROOT, "%.0f", offered), samples, samples / seconds,
          pct(l, 0.50), pct(l, 0.95), pct(l, 0.99));
    }
  }

  static double pct(double[] sorted, double q) {
    return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
    double[] rates = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToDouble(Double::parseDouble).toArray()
        : new double[] {500, 1000, 2000, 0};
    int swaps = args.length > 2 ? Integer.parseInt(args[2]) : 200;

    StringBuilder report = new StringBuilder();
    System.err.println("training the test models...");
    double raw = rawLoop(3);
    report.append(String.format(Locale.ROOT, "Raw runtime loop (onnx-cpu int8, batch 64, 1 intra-op thread, normalized "
        + "input ready): %.0f samples/s%n%n", raw));

    Path registryDir = Files.createTempDirectory("osprey-bench-registry-");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.ephemeral())) {
      Properties kafka = new Properties();
      kafka.put("bootstrap.servers", broker.bootstrapServers());
      Topics topics = Topics.defaults();
      try (TopicAdmin admin = new TopicAdmin(kafka)) {
        admin.createAll(topics, 3, (short) 1);
      }
      ModelRegistry registry = new ModelRegistry(registryDir);
      TestModels.publish(registry, 0);
      TestModels.publish(registry, 1);
      try (KafkaProducer<String, byte[]> producer = TopicClients.producer(kafka);
          InferenceService service = new InferenceService(InferenceConfig.of(TestModels.NAME).withHttp("127.0.0.1", -1, null),
              topics, new SimpleMeterRegistry(), registry, kafka);
          KafkaConsumer<String, byte[]> predictions = predictionConsumer(kafka, topics)) {
        TopicClients.activate(producer, topics, 1);
        service.start();
        // long enough for the JIT to compile the loop's and the broker's hot paths at the top rate
        run("warm-up", 8000, 8, producer, predictions, topics, service, 0);
        report.append("| run | offered samples/s | samples | achieved samples/s | p50 ms | p95 ms | p99 ms |\n");
        report.append("|---|---|---|---|---|---|---|\n");
        for (double rate : rates) {
          Run r = run("steady", rate, seconds, producer, predictions, topics, service, 0);
          report.append(r.row()).append('\n');
          System.err.println(r.row());
        }
        Run swapping = run("swap every 1 s", 1000, seconds, producer, predictions, topics, service, 1000);
        report.append(swapping.row()).append('\n');
        System.err.println(swapping.row());

        report.append('\n').append(rssOverSwaps(swaps, producer, topics, service));
      }
    } finally {
      try (var walk = Files.walk(registryDir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.out.println(report);
  }

  private static double rawLoop(double seconds) throws Exception {
    TestModels.Variant v = TestModels.variants().get(0);
    float[] x = ImageBatches.normalize(TestModels.test(), InputSpec.mnist(), 0, 640);
    try (OnnxPredictor p = OnnxPredictor.openCpu(v.int8(), OrtConfig.cpu(1))) {
      float[][] batches = new float[10][];
      for (int i = 0; i < 10; i++) {
        batches[i] = Arrays.copyOfRange(x, i * 64 * 784, (i + 1) * 64 * 784);
      }
      for (int i = 0; i < 50; i++) {
        p.predict(batches[i % 10], 64);
      }
      long start = System.nanoTime();
      long end = start + (long) (seconds * 1e9);
      long n = 0;
      for (int i = 0; System.nanoTime() < end; i++) {
        p.predict(batches[i % 10], 64);
        n += 64;
      }
      return n / ((System.nanoTime() - start) / 1e9);
    }
  }

  private static KafkaConsumer<String, byte[]> predictionConsumer(Properties kafka, Topics topics) {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put("isolation.level", "read_committed");
    p.put("max.poll.records", "5000");
    KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = c.partitionsFor(topics.predictions().name()).stream()
        .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
    c.assign(parts);
    c.seekToEnd(parts);
    parts.forEach(c::position);
    return c;
  }

  /**
   * Offers samples at {@code rate} per second (0 = all at once) for {@code seconds}, swapping the
   * model every {@code swapEveryMs} (0 = never), and reads the predictions as they commit.
   */
  private static Run run(String name, double rate, double seconds, KafkaProducer<String, byte[]> producer,
      KafkaConsumer<String, byte[]> predictions, Topics topics, InferenceService service, long swapEveryMs) {
    int total = (int) (rate == 0 ? 20_000 : rate * seconds);
    String prefix = name.replace(' ', '_') + "-" + System.nanoTime();
    double[] latency = new double[total];
    int[] received = {0};
    long start = System.nanoTime();
    long nextSwap = start + swapEveryMs * 1_000_000L;
    int version = 1;
    for (int i = 0; i < total; i++) {
      if (rate > 0) {
        long due = start + (long) (i * 1e9 / rate);
        while (System.nanoTime() < due) {
          drain(predictions, prefix, latency, received);
          LockSupport.parkNanos(Math.min(200_000, Math.max(0, due - System.nanoTime())));
        }
      }
      if (swapEveryMs > 0 && System.nanoTime() >= nextSwap) {
        version = version == 1 ? 2 : 1;
        TopicClients.activate(producer, topics, version);
        nextSwap += swapEveryMs * 1_000_000L;
      }
      Sample s = TestModels.sample(prefix, i, System.currentTimeMillis());
      producer.send(new ProducerRecord<>(topics.samples().name(), s.id(), CODEC.encode(s)));
    }
    producer.flush();
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (received[0] < total && System.nanoTime() < deadline) {
      drain(predictions, prefix, latency, received);
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    return new Run(name, rate, received[0], elapsed, Arrays.copyOf(latency, received[0]));
  }

  private static void drain(KafkaConsumer<String, byte[]> predictions, String prefix, double[] latency, int[] received) {
    long now = System.currentTimeMillis();
    for (ConsumerRecord<String, byte[]> r : predictions.poll(Duration.ofMillis(received[0] == 0 ? 1 : 1))) {
      if (r.key().startsWith(prefix) && received[0] < latency.length) {
        Prediction p = CODEC.decode(r.value(), Prediction.class);
        latency[received[0]++] = now - p.sampleTimestamp();
      }
    }
  }

  private static String rssOverSwaps(int swaps, KafkaProducer<String, byte[]> producer, Topics topics,
      InferenceService service) throws Exception {
    int warmup = Math.min(20, swaps / 10);
    long rssWarm = 0;
    long start = System.nanoTime();
    for (int i = 1; i <= swaps; i++) {
      int version = service.serving().orElseThrow().ref().version() == 1 ? 2 : 1;
      TopicClients.activate(producer, topics, version);
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (service.serving().orElseThrow().ref().version() != version && System.nanoTime() < deadline) {
        LockSupport.parkNanos(1_000_000);
      }
      if (i == warmup) {
        System.gc();
        rssWarm = rssKb();
      }
    }
    System.gc();
    long rssEnd = rssKb();
    return String.format(Locale.ROOT, "RSS over %d swaps (%.1f s): %d MiB after %d warm-up swaps, %d MiB after %d swaps "
        + "(%+.1f%%)%n", swaps, (System.nanoTime() - start) / 1e9, rssWarm / 1024, warmup, rssEnd / 1024, swaps,
        100.0 * (rssEnd - rssWarm) / rssWarm);
  }

  private static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
