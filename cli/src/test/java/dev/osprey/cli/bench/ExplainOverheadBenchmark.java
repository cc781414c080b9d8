package dev.osprey.cli.bench;

import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.PublishedDigits;
import dev.osprey.explain.TrainedDigits;
import dev.osprey.explain.sampling.CpuBudget;
import dev.osprey.explain.sampling.SamplingPolicy;
import dev.osprey.explain.service.DigitTraffic;
import dev.osprey.explain.service.ExplainConfig;
import dev.osprey.explain.service.ExplainMetrics;
import dev.osprey.explain.service.ExplainService;
import dev.osprey.inference.InferenceConfig;
import dev.osprey.inference.InferenceService;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Inference throughput with and without the explain service beside it (a measurement, not a
 * test): one embedded broker, the inference service serving the fixture model (int8, ONNX Runtime
 * CPU, defaults), and in alternating rounds nothing else ({@code off}), the explain service with
 * its default configuration ({@code default}: 2 per second of prediction time + every prediction
 * below 0.5 confidence, ig/gradcam/occlusion, within the default CPU budget), the same
 * without the budget ({@code no-budget}), or with the rate alone ({@code rate-only}: the
 * low-confidence rule off, default budget). Each round produces a backlog of {@code N} samples at once and
 * measures samples per second from the first send to the last prediction read (read_committed).
 * The explain service of a round starts (new consumer group, latest offsets, model loaded) before
 * the round's clock starts and is closed after it; every arm first sends {@value #PRIME} untimed
 * samples and (with explain) waits until the service decides on their predictions, so the round
 * measures a running service, not its start (group join, first explanations on a cold model).
 * Prints per-round figures, then median and min per arm, the drop of the medians against
 * {@code off}, and the median of the per-round drops
 * (each arm against the {@code off} run of its own round, which is robust to the slow swings of
 * load on a shared machine).
 *
 * <p>Args: {@code [rounds] [samples-per-round]} (default 5 rounds of 20,000); the arms run can be
 * narrowed with {@code -Dexplain.overhead.arms=off,default} ({@code off} first: drops are against it). Start the JVM with
 * {@code ONEDNN_MAX_CPU_ISA=AVX2} so the explainers batch their gradients, as {@code bin/osprey}
 * does for explain.
 */
public final class ExplainOverheadBenchmark {
  /** Untimed samples sent before each arm's clock starts. */
  private static final int PRIME = 2_000;

  private ExplainOverheadBenchmark() {}

  /** Waits (at most 60 s) until the explain service has decided on a prediction (its meters): it is consuming. */
  private static void awaitDecisions(MeterRegistry meters) {
    org.awaitility.Awaitility.await("the explain service deciding on a prediction").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> sum(meters, ExplainMetrics.SAMPLED) + sum(meters, ExplainMetrics.SKIPPED) > 0);
  }


  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    Path work = Files.createTempDirectory("explain-overhead");
    double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.ephemeral())) {
      Properties kafka = new Properties();
      kafka.put("bootstrap.servers", broker.bootstrapServers());
      Topics topics = Topics.defaults();
      try (TopicAdmin admin = new TopicAdmin(kafka)) {
        admin.createAll(topics, 3, (short) 1);
      }
      ModelRegistry registry = new ModelRegistry(work.resolve("registry"));
      System.err.println("training and publishing the fixture model...");
      int version = PublishedDigits.publish(registry, work).manifest().version();
      DigitTraffic.activate(kafka, topics, version);
      List<Sample> digits = digits();
      Map<String, List<Double>> perArm = new LinkedHashMap<>();
      // -Dexplain.overhead.arms=off,default: fewer arms (e.g. under a profiler); "off" is always first
      List<String> arms = List.of(System.getProperty("explain.overhead.arms", "off,default,no-budget,rate-only").split(","));
      arms.forEach(a -> perArm.put(a, new ArrayList<>()));
      Map<String, List<Double>> explainShare = new LinkedHashMap<>();
      arms.forEach(a -> explainShare.put(a, new ArrayList<>()));
      StringBuilder out = new StringBuilder("| round | explain | samples/s | explain chosen / explanations / skipped for the budget during the round "
          + "| process CPU s | explain threads' CPU s (share) |\n|---|---|---|---|---|---|\n");
      try (InferenceService inference = new InferenceService(
              InferenceConfig.of(PublishedDigits.NAME).withHttp("127.0.0.1", -1, null), topics, new SimpleMeterRegistry(),
              registry, kafka);
          Producer<String, Sample> producer = new KafkaProducer<>(kafka, topics.samples().keySerde().serializer(),
              topics.samples().valueSerde().serializer());
          KafkaConsumer<String, byte[]> predictions = predictionConsumer(kafka, topics)) {
        inference.start();
        System.err.println("warm-up round...");
        backlog("warm-up", Math.min(n, 5_000), digits, producer, predictions, topics);
        for (int r = 0; r < rounds; r++) {
          for (int k = 0; k < arms.size(); k++) {
            // the order rotates from round to round: throughput still climbs over the first rounds
            // (the JIT), which a fixed order would credit to the arms that run later
            String arm = arms.get((k + r) % arms.size());
            MeterRegistry meters = new SimpleMeterRegistry();
            ExplainService explain = arm.equals("off") ? null
                : new ExplainService(config(arm, r), topics, meters, registry, kafka);
            try {
              if (explain != null) {
                explain.start();
              }
              // steady state, not a cold start: untimed traffic first, until the explain service
              // (group joined, model warm) has decided on some of it; the same for "off"
              backlog("prime-" + arm + "-" + r, PRIME, digits, producer, predictions, topics);
              if (explain != null) {
                awaitDecisions(meters);
              }
              Map<Long, Long> cpuBefore = threadCpu();
              long processBefore = processCpu();
              double rate = backlog(arm + "-" + r, n, digits, producer, predictions, topics);
              double process = (processCpu() - processBefore) / 1e9;
              double explainCpu = explainThreadsCpu(cpuBefore) / 1e9;
              perArm.get(arm).add(rate);
              explainShare.get(arm).add(explainCpu / process);
              String row = String.format(Locale.ROOT, "| %d | %s | %.0f | %s | %.1f | %.1f (%.0f%%) |", r + 1, arm, rate,
                  explain == null ? "-" : String.format(Locale.ROOT, "%.0f / %.0f / %.0f", sum(meters, ExplainMetrics.SAMPLED),
                      sum(meters, ExplainMetrics.EXPLANATIONS), budgetSkipped(meters)), process, explainCpu, 100 * explainCpu / process);
              System.err.println(row);
              out.append(row).append('\n');
            } finally {
              if (explain != null) {
                explain.close();
              }
            }
          }
        }
      }
      out.append(String.format(Locale.ROOT, "%n| explain | median samples/s | min | drop of the median vs off "
          + "| median of the per-round drops (vs the same round's off) |%n|---|---|---|---|---|%n"));
      double off = median(perArm.get("off"));
      for (String arm : arms) {
        double med = median(perArm.get(arm));
        List<Double> paired = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
          paired.add(1 - perArm.get(arm).get(r) / perArm.get("off").get(r));
        }
        out.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %s | %s |%n", arm, med,
            perArm.get(arm).stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
            arm.equals("off") ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * (off - med) / off),
            arm.equals("off") ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * median(paired))));
      }
      out.append(String.format(Locale.ROOT, "%nShare of the process's CPU used by explain threads during a round "
          + "(median): default %.1f%%, no-budget %.1f%%, rate-only %.1f%% (at saturation on dedicated cores, the throughput "
          + "lost is about this share)%n", 100 * median(explainShare.getOrDefault("default", List.of())),
          100 * median(explainShare.getOrDefault("no-budget", List.of())), 100 * median(explainShare.getOrDefault("rate-only", List.of()))));
      out.append(String.format(Locale.ROOT, "%n%d rounds of %d samples; load average before %.2f, after %.2f; %d cores%n",
          rounds, n, loadBefore, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
          Runtime.getRuntime().availableProcessors()));
      System.out.print(out);
    } finally {
      try (var walk = Files.walk(work)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * The service's defaults, without the budget, or the rate alone; a fresh group per round so no
   * round inherits another's backlog.
   */
  private static ExplainConfig config(String arm, int round) {
    ExplainConfig d = ExplainConfig.of(PublishedDigits.NAME).withHttp("127.0.0.1", -1).withOffsetReset("latest");
    SamplingPolicy.Config s = d.sampling();
    if (arm.equals("rate-only")) {
      s = new SamplingPolicy.Config(s.ratePerSecond(), s.burst(), 0, s.explainWrong(), s.explainDuringDrift(),
          s.rememberExplained());
    }
    CpuBudget.Config budget = arm.equals("no-budget") ? CpuBudget.Config.off() : d.budget();
    return new ExplainConfig(d.modelName(), "explain-overhead-" + arm + "-" + round, d.instanceId(), d.topicPrefix(),
        d.autoOffsetReset(), d.methods(), s, budget, d.methodSettings(), d.topFeatures(), d.sampleBuffer(), d.waitingBuffer(),
        d.versionCache(), d.heatmapDir(), d.heatmapKeep(), d.storedExplanations(), d.httpHost(), d.httpPort(),
        d.maxRequestBytes(), d.requestTimeout(), d.startTimeout());
  }

  private static List<Sample> digits() {
    ImageDataset test = TrainedDigits.test();
    List<Sample> out = new ArrayList<>();
    for (int i = 0; i < test.size(); i++) {
      out.add(new Sample(Sample.SCHEMA_VERSION, "d-" + i, 0, Tensor.ofUint8(test.image(i), 1, 28, 28), null, null));
    }
    return out;
  }

  /** Sends {@code n} samples at once and returns samples per second until the last prediction is read. */
  private static double backlog(String prefix, int n, List<Sample> digits, Producer<String, Sample> producer,
      KafkaConsumer<String, byte[]> predictions, Topics topics) {
    long start = System.nanoTime();
    int received = 0;
    for (int i = 0; i < n; i++) {
      Sample d = digits.get(i % digits.size());
      String id = prefix + "-" + i;
      producer.send(new ProducerRecord<>(topics.samples().name(), id,
          new Sample(d.schemaVersion(), id, System.currentTimeMillis(), d.tensor(), null, null)));
      if ((i & 1023) == 0) {
        received += drain(predictions, prefix);
      }
    }
    producer.flush();
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (received < n && System.nanoTime() < deadline) {
      received += drain(predictions, prefix);
    }
    if (received < n) {
      throw new IllegalStateException(prefix + ": " + received + " of " + n + " predictions within 5 minutes");
    }
    return n / ((System.nanoTime() - start) / 1e9);
  }

  private static int drain(KafkaConsumer<String, byte[]> predictions, String prefix) {
    int got = 0;
    for (ConsumerRecord<String, byte[]> r : predictions.poll(Duration.ofMillis(1))) {
      if (r.key().startsWith(prefix + "-")) {
        got++;
      }
    }
    return got;
  }

  private static KafkaConsumer<String, byte[]> predictionConsumer(Properties kafka, Topics topics) {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = c.partitionsFor(topics.predictions().name()).stream()
        .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
    c.assign(parts);
    c.seekToEnd(parts);
    parts.forEach(c::position);
    return c;
  }

  /** CPU time of every live thread, by id. */
  private static Map<Long, Long> threadCpu() {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<Long, Long> out = new java.util.HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      out.put(id, threads.getThreadCpuTime(id));
    }
    return out;
  }

  /** CPU nanoseconds since {@code before} of the live threads whose name says explain (loop and clients). */
  private static long explainThreadsCpu(Map<Long, Long> before) {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long total = 0;
    for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null && t.getThreadName().contains("explain")) {
        long now = threads.getThreadCpuTime(t.getThreadId());
        total += Math.max(0, now - before.getOrDefault(t.getThreadId(), 0L));
      }
    }
    return total;
  }

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static double budgetSkipped(MeterRegistry meters) {
    Counter c = meters.find(ExplainMetrics.SKIPPED).tag("reason", "budget").counter();
    return c == null ? 0 : c.count();
  }

  private static double sum(MeterRegistry meters, String name) {
    return meters.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  private static double median(List<Double> v) {
    double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return s.length == 0 ? Double.NaN : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
