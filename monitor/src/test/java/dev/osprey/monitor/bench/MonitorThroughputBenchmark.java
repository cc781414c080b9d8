package dev.osprey.monitor.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.core.config.ConfigSource;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.data.InputSummaryReference;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.InputSpec;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ReferenceProfile;
import dev.osprey.monitor.service.MonitorConfig;
import dev.osprey.monitor.service.MonitorMetrics;
import dev.osprey.monitor.service.MonitorService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How fast {@code osprey monitor} processes predictions and outcomes on the embedded broker (a
 * measurement, not a test). A synthetic 10-class model with 64-wide embeddings (the shape of the
 * demo's student) is published with a reference profile of the packager's size (and an input-summary
 * reference); its predictions (softmax + embedding) and an outcome for every second one are
 * written to the broker; the monitor runs with its default settings (ERT 10,000, window 200: every
 * detector the reference supports, calibrated ahead from the activation on {@code osprey.models}).
 *
 * <ol>
 *   <li>backlog: N predictions (+ N/2 outcomes, + N samples with {@code inputs}) written first,
 *       then the monitor started; the rate is records processed between 10% and 90% of the total
 *       over the time that took (calibration and start excluded);
 *   <li>paced: the running monitor is offered {@code rate} predictions/s (+ rate/2 outcomes) for
 *       {@code seconds}; reported: achieved rate and the largest lag (records written, not yet
 *       processed) seen every 100 ms, and how long it took to drain after the producer stopped.
 * </ol>
 *
 * Arguments: predictions in the backlog, offered prediction rates (comma-separated), seconds per
 * rate, {@code inputs} (true: samples are written too and the input-summary detector runs), the
 * quality time window ({@code monitor.quality.time.window}, default PT10M). Prediction i carries
 * the event time T0 + i ms.
 */
public final class MonitorThroughputBenchmark {
  static final String MODEL = "digits";
  static final int CLASSES = 10;
  static final int EMBEDDING = 64;
  static final long T0 = 1_732_350_000_000L;

  public static void main(String[] args) throws Exception {
    int backlog = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    List<Integer> rates = new ArrayList<>();
    for (String r : (args.length > 1 ? args[1] : "7500,10000").split(",")) {
      rates.add(Integer.parseInt(r.trim()));
    }
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    boolean inputs = args.length > 3 && Boolean.parseBoolean(args[3]);
    String timeWindow = args.length > 4 ? args[4] : "PT10M";
    System.out.printf(Locale.ROOT, "cpu: %s, %d cores; backlog %d, rates %s, %d s each, input summaries %s, quality time window %s%n",
        cpu(), Runtime.getRuntime().availableProcessors(), backlog, rates, seconds, inputs, timeWindow);

    Path dir = Files.createTempDirectory("osprey-monitor-bench-");
    ImageDataset images = new Datasets(dir).load("fixture:test");
    ModelRegistry registry = registry(dir.resolve("registry"), images);
    EventCodec codec = new EventCodec();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(0, null, 1))) {
      Properties kafka = new Properties();
      kafka.put("bootstrap.servers", broker.bootstrapServers());
      Topics topics = new Topics("", codec);
      try (TopicAdmin admin = new TopicAdmin(kafka)) {
        admin.createAll(topics, 1, (short) 1);
      }
      Load load = new Load(kafka, topics, codec, images, inputs);
      load.activation();
      long t = System.nanoTime();
      load.produce(0, backlog, 0);
      System.out.printf(Locale.ROOT, "wrote the backlog: %d records in %.1f s%n", load.written, (System.nanoTime() - t) / 1e9);

      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      MonitorConfig config = MonitorConfig.from(ConfigSource.of(Map.of(
          MonitorConfig.KEY_SUMMARY_BUFFER, inputs ? "8192" : "0",
          MonitorConfig.KEY_TIME_WINDOW, timeWindow)), kafka);
      try (MonitorService monitor = new MonitorService(config, topics, meters, registry, kafka)) {
        long started = System.nanoTime();
        monitor.start();
        // records the monitor processed (every input topic)
        java.util.function.LongSupplier processed = () -> {
          if (!monitor.health().live()) {
            throw new IllegalStateException("the monitor stopped after " + (long) meters.find(MonitorMetrics.RECORDS).counters()
                .stream().mapToDouble(Counter::count).sum() + " records: " + monitor.health().detail());
          }
          return (long) meters.find(MonitorMetrics.RECORDS).counters().stream().mapToDouble(Counter::count).sum();
        };
        long total = load.written;
        long t10 = waitFor(processed, total / 10);
        long cpu10 = loopCpuNanos();
        long at10 = processed.getAsLong();
        long t90 = waitFor(processed, total * 9 / 10);
        long cpu90 = loopCpuNanos();
        long at90 = processed.getAsLong();
        waitFor(processed, total);
        double perCpuSecond = (at90 - at10) / ((cpu90 - cpu10) / 1e9);
        System.out.printf(Locale.ROOT, "backlog: %d records (%d predictions); first 10%% after %.1f s (start + calibration); "
                + "10%%..90%%: %.0f records/s = %.0f predictions/s wall; the loop thread used %.1f s of CPU in %.1f s: "
                + "%.0f records = %.0f predictions per CPU-second of the loop%n",
            total, backlog, (t10 - started) / 1e9, (at90 - at10) / ((t90 - t10) / 1e9),
            (at90 - at10) / ((t90 - t10) / 1e9) * backlog / total, (cpu90 - cpu10) / 1e9, (t90 - t10) / 1e9,
            perCpuSecond, perCpuSecond * backlog / total);

        int next = backlog;
        for (int rate : rates) {
          long before = processed.getAsLong();
          long cpuBefore = loopCpuNanos();
          long writtenBefore = load.written;
          long lagMax = 0;
          long start = System.nanoTime();
          long end = start + seconds * 1_000_000_000L;
          long sent = 0;
          long nextSample = System.nanoTime();
          while (System.nanoTime() < end) {
            long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
            if (due > sent) {
              load.produce(next, (int) (due - sent), 0);
              next += (int) (due - sent);
              sent = due;
            }
            if (System.nanoTime() >= nextSample) {
              lagMax = Math.max(lagMax, load.written - processed.getAsLong());
              nextSample += 100_000_000L;
            }
            Thread.onSpinWait();
            if (due <= sent) {
              Thread.sleep(1); // pacing the producer, not waiting for a condition
            }
          }
          load.flush();
          double elapsed = (System.nanoTime() - start) / 1e9;
          long doneAtEnd = processed.getAsLong() - before;
          double loopCpu = (loopCpuNanos() - cpuBefore) / 1e9;
          long offered = load.written - writtenBefore;
          long drainStart = System.nanoTime();
          waitFor(processed, load.written);
          double drain = (System.nanoTime() - drainStart) / 1e9;
          System.out.printf(Locale.ROOT, "paced %d predictions/s for %.1f s: offered %d records (%.0f/s), processed %d in "
                  + "the period (%.0f/s), max lag %d records (%.2f s of traffic), drained %.2f s after the producer stopped; "
                  + "loop CPU %.0f%% of one core%n",
              rate, elapsed, offered, offered / elapsed, doneAtEnd, doneAtEnd / elapsed, lagMax,
              lagMax / (offered / elapsed), drain, 100 * loopCpu / elapsed);
        }
        stateSizes(kafka, monitor.stateTopic());
      }
      load.close();
    }
  }

  private static long waitFor(java.util.function.LongSupplier processed, long target) throws InterruptedException {
    long deadline = System.nanoTime() + 600_000_000_000L;
    while (processed.getAsLong() < target) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("monitor stuck at " + processed.getAsLong() + " of " + target);
      }
      Thread.sleep(5); // a measurement's polling interval, not a test wait
    }
    return System.nanoTime();
  }

  /** The saved state records' sizes (the time window's outcomes made them grow with traffic before format 2). */
  private static void stateSizes(Properties kafka, String stateTopic) {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put("isolation.level", "read_committed");
    long records = 0;
    long largest = 0;
    long last = 0;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
        p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(stateTopic).stream()
          .map(x -> new TopicPartition(x.topic(), x.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (var r : c.poll(Duration.ofMillis(200))) {
          records++;
          last = r.value().length;
          largest = Math.max(largest, last);
        }
      }
    }
    System.out.printf(Locale.ROOT, "state topic %s: %d records, largest %d bytes, last %d bytes%n", stateTopic, records,
        largest, last);
  }

  /** CPU time of the monitor's consume-process-produce thread (decoding, detectors, state encoding, commits). */
  static long loopCpuNanos() {
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("osprey-monitor-loop")) {
        return threads.getThreadCpuTime(t.getId());
      }
    }
    throw new IllegalStateException("no osprey-monitor-loop thread");
  }

  static String cpu() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (Exception e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  /** Version 1 of the synthetic model: reference profile (256-row samples, as the packager), input summaries. */
  static ModelRegistry registry(Path root, ImageDataset images) throws Exception {
    ModelRegistry registry = new ModelRegistry(root);
    Path src = Files.createDirectories(root.resolveSibling("src"));
    Path onnx = Files.write(src.resolve("m.onnx"), new byte[] {1, 2, 3});
    SplittableRandom rnd = new SplittableRandom(99);
    List<float[]> softmax = new ArrayList<>();
    List<float[]> embeddings = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      int y = rnd.nextInt(CLASSES);
      softmax.add(softmax(y, 4.0, rnd));
      embeddings.add(embedding(y, rnd));
    }
    Path summaries = src.resolve("input-summaries.json");
    new ObjectMapper().writeValue(summaries.toFile(), InputSummaryReference.of(images, 2000));
    List<String> labels = new ArrayList<>();
    for (int c = 0; c < CLASSES; c++) {
      labels.add(Integer.toString(c));
    }
    registry.publish(ModelDraft.builder()
        .setName(MODEL)
        .setArchitecture("cnn", Map.of())
        .setInput(InputSpec.mnist())
        .setLabels(labels)
        .setFile(FileRoles.FP32_ONNX, onnx)
        .setFile(FileRoles.INPUT_SUMMARIES, summaries)
        .optReference(ReferenceProfile.fromSoftmax(softmax, embeddings, 20, 256, 7))
        .build());
    return registry;
  }

  static float[] softmax(int label, double margin, SplittableRandom rnd) {
    double[] z = new double[CLASSES];
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < CLASSES; c++) {
      z[c] = (c == label ? margin : 0) + gaussian(rnd);
      max = Math.max(max, z[c]);
    }
    double sum = 0;
    for (int c = 0; c < CLASSES; c++) {
      z[c] = Math.exp(z[c] - max);
      sum += z[c];
    }
    float[] p = new float[CLASSES];
    for (int c = 0; c < CLASSES; c++) {
      p[c] = (float) (z[c] / sum);
    }
    return p;
  }

  static float[] embedding(int label, SplittableRandom rnd) {
    float[] e = new float[EMBEDDING];
    for (int i = 0; i < EMBEDDING; i++) {
      e[i] = (float) ((i % CLASSES == label ? 1.5 : 0) + gaussian(rnd));
    }
    return e;
  }

  static double gaussian(SplittableRandom rnd) {
    double u = 1 - rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
  }

  /** Writes what inference and the joins would: predictions, outcomes for every second one, samples. */
  static final class Load implements AutoCloseable {
    final KafkaProducer<String, byte[]> producer;
    final Topics topics;
    final EventCodec codec;
    final ImageDataset images;
    final boolean inputs;
    final SplittableRandom rnd = new SplittableRandom(11);
    long written;

    Load(Properties kafka, Topics topics, EventCodec codec, ImageDataset images, boolean inputs) {
      Properties p = new Properties();
      p.putAll(kafka);
      p.put("linger.ms", "5");
      p.put("batch.size", "262144");
      this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
      this.topics = topics;
      this.codec = codec;
      this.images = images;
      this.inputs = inputs;
    }

    void activation() {
      ModelActivation a = ModelActivation.of(MODEL, 1, T0, "bench", "bench");
      producer.send(new ProducerRecord<>(topics.models().name(), MODEL, codec.encode(a)));
      producer.flush();
    }

    void produce(int first, int n, int unused) {
      for (int i = first; i < first + n; i++) {
        String id = "s-" + i;
        long ts = T0 + i;
        if (inputs) {
          byte[] pixels = images.image(i % images.size());
          Sample s = Sample.ofTensor(id, ts - 3, Tensor.ofUint8(pixels, 1, images.rows(), images.cols()), Map.of());
          producer.send(new ProducerRecord<>(topics.samples().name(), id, codec.encode(s)));
          written++;
        }
        int y = rnd.nextInt(CLASSES);
        float[] p = softmax(y, 4.0, rnd);
        int best = 0;
        for (int c = 1; c < CLASSES; c++) {
          if (p[c] > p[best]) {
            best = c;
          }
        }
        List<Float> probs = new ArrayList<>(CLASSES);
        for (float v : p) {
          probs.add(v);
        }
        List<Float> emb = new ArrayList<>(EMBEDDING);
        for (float v : embedding(y, rnd)) {
          emb.add(v);
        }
        Prediction pr = new Prediction(Prediction.SCHEMA_VERSION, id, MODEL, 1, best, Integer.toString(best), p[best], probs, emb,
            "onnx-cpu", "int8", ts - 3, ts);
        producer.send(new ProducerRecord<>(topics.predictions().name(), id, codec.encode(pr)));
        written++;
        if (i % 2 == 0) {
          Outcome o = Outcome.of(pr, Feedback.of(id, y, "bench", ts + 100), ts + 100);
          producer.send(new ProducerRecord<>(topics.outcomes().name(), id, codec.encode(o)));
          written++;
        }
      }
    }

    void flush() {
      producer.flush();
    }

    @Override
    public void close() {
      producer.close();
    }
  }
}
