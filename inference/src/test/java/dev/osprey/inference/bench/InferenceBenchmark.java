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
  /** Seconds at 8,000 samples/s before the measured runs ({@code -Dbench.warmup.seconds}). */
  private static final double WARM_UP_SECONDS = Double.parseDouble(System.getProperty("bench.warmup.seconds", "40"));

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
          LatencyReader predictions = new LatencyReader(predictionConsumer(kafka, topics))) {
        TopicClients.activate(producer, topics, 1);
        service.start();
        // long enough for the JIT to compile the loop's and the broker's hot paths at the top rate:
        // after 8 s the p99 at 8,000/s still fell run by run for another ~30 s
        run("warm-up", 8000, WARM_UP_SECONDS, producer, predictions, topics, service, 0);
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
   * The measuring consumer, on a thread of its own that blocks in {@code poll} (the broker answers
   * a fetch as soon as a committed record is readable), so the harness does not spin on the two
   * cores the service and the broker need. Latency = the time {@code poll} returned the prediction
   * minus the sample's timestamp; predictions of other runs (their id prefix) are ignored.
   */
  static final class LatencyReader implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Collector current;

    /** The predictions of one run: their latencies in arrival order. */
    static final class Collector {
      final String prefix;
      final double[] latency;
      final java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();

      Collector(String prefix, int expected) {
        this.prefix = prefix;
        this.latency = new double[expected];
      }
    }

    LatencyReader(KafkaConsumer<String, byte[]> consumer) {
      this.consumer = consumer;
      this.thread = new Thread(this::loop, "bench-latency-reader");
      thread.setDaemon(true);
      thread.start();
    }

    Collector collect(String prefix, int expected) {
      Collector c = new Collector(prefix, expected);
      current = c;
      return c;
    }

    private void loop() {
      while (running) {
        var records = consumer.poll(Duration.ofMillis(100));
        long now = System.currentTimeMillis();
        Collector c = current;
        for (ConsumerRecord<String, byte[]> r : records) {
          if (c != null && r.key().startsWith(c.prefix)) {
            int n = c.received.get();
            if (n < c.latency.length) {
              Prediction p = CODEC.decode(r.value(), Prediction.class);
              c.latency[n] = now - p.sampleTimestamp();
              c.received.set(n + 1); // one writer: this thread
            }
          }
        }
      }
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      consumer.wakeup();
      thread.join(10_000);
      consumer.close();
    }
  }

  /**
   * Offers samples at {@code rate} per second (0 = all at once) for {@code seconds}, swapping the
   * model every {@code swapEveryMs} (0 = never), while {@code reader} reads the predictions as they
   * commit. The samples due are sent every millisecond (the generator sleeps between ticks).
   */
  private static Run run(String name, double rate, double seconds, KafkaProducer<String, byte[]> producer,
      LatencyReader reader, Topics topics, InferenceService service, long swapEveryMs) {
    int total = (int) (rate == 0 ? 20_000 : rate * seconds);
    String prefix = name.replace(' ', '_') + "-" + System.nanoTime();
    LatencyReader.Collector collector = reader.collect(prefix, total);
    long start = System.nanoTime();
    long nextSwap = start + swapEveryMs * 1_000_000L;
    int version = 1;
    for (int i = 0; i < total; i++) {
      if (rate > 0) {
        long due = start + (long) (i * 1e9 / rate);
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
          LockSupport.parkNanos(Math.max(wait, 1_000_000));
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
    while (collector.received.get() < total && System.nanoTime() < deadline) {
      LockSupport.parkNanos(5_000_000);
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    int received = collector.received.get();
    return new Run(name, rate, received, elapsed, Arrays.copyOf(collector.latency, received));
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
