package dev.osprey.inference.bench;

import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Sample;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.topic.Topics;
import dev.osprey.inference.InferenceConfig;
import dev.osprey.inference.InferenceMetrics;
import dev.osprey.inference.InferenceService;
import dev.osprey.inference.TopicClients;
import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.serving.TestModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Osprey's inference service against the consumer a Python user would write instead
 * ({@code src/test/python/peer_consumer.py}: confluent-kafka + PyTorch, the same network and weights
 * rebuilt from the version's fp32 graph, batches of 64, at-least-once), on one embedded broker, in
 * one run (a measurement, not a test). N validated samples are written to {@code osprey.samples}
 * once; each round, each contender drains all of them in a consumer group of its own, the order of
 * the two alternating between rounds, after an untimed warm-up round of each. Both are timed the same way, from outside: a read_committed
 * consumer of each contender's output topic, from its first prediction to its N-th (start-up is
 * reported apart). Prints a markdown table with the per-round ratio, the service's share of the raw
 * loop of its plan per round, and per Osprey drain its stage timers, the model calls' CPU beside
 * their wall time, and the CPU seconds of the process's threads by group ({@link CpuByThread}).
 * Untimed Osprey drains come first until the JIT has settled (two in a row compiling for less than
 * 15% of the drain; on two cores that takes about 15 drains of 50,000): before that the compilers
 * took up to a core beside the service (docs/benchmarks-inference.md).
 *
 * <p>Args: {@code [samples=50000] [rounds=3] [python-threads=1] [python=/usr/bin/python3 | none]
 * [warm-up drains at most=20]};
 * {@code none} drains with Osprey alone, e.g. to watch its throughput while something else runs
 * (each round prints its wall-clock span). One torch
 * thread by default, like Osprey's one intra-op thread per session: with two, OpenMP's spinning
 * threads fight the broker and the consumer for the two cores (415 samples/s in a trial at load 10,
 * against 2,339 with one).
 * Needs Debian's python3-confluent-kafka, python3-torch and python3-onnx.
 */
public final class PeerBenchmark {
  private static final EventCodec CODEC = new EventCodec();
  private static final String PEER_OUTPUT = "peer.predictions";

  private PeerBenchmark() {}

  /**
   * One contender's drain: seconds from its first prediction to its last, and from its start to its
   * first; for Osprey also the seconds the JIT compiled meanwhile (the JVM's estimate; NaN for the peer).
   */
  record Drain(String contender, int samples, double seconds, double startSeconds, double jitSeconds) {
    Drain(String contender, int samples, double seconds, double startSeconds) {
      this(contender, samples, seconds, startSeconds, Double.NaN);
    }

    Drain withJit(double s) {
      return new Drain(contender, samples, seconds, startSeconds, s);
    }

    /**
     * The JIT compiled for less than 15% of the drain: its steady state (each drain starts a new
     * service, new Kafka clients and a new group: a little compiling goes on, ~0.1-0.2 s per drain).
     */
    boolean jitSettled() {
      return jitSeconds < 0.15 * seconds;
    }

    double rate() {
      return samples / seconds;
    }
  }

  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int pythonThreads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    String python = args.length > 3 ? args[3] : "/usr/bin/python3";
    int maxWarmups = args.length > 4 ? Integer.parseInt(args[4]) : 20;
    Path script = Path.of("src/test/python/peer_consumer.py").toAbsolutePath();
    if (!Files.isRegularFile(script)) {
      throw new IllegalStateException("run from the inference module's directory: " + script + " not found");
    }
    Path registryDir = Files.createTempDirectory("osprey-peer-registry-");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.ephemeral())) {
      Properties kafka = new Properties();
      kafka.put("bootstrap.servers", broker.bootstrapServers());
      Topics topics = Topics.defaults();
      try (TopicAdmin admin = new TopicAdmin(kafka);
          org.apache.kafka.clients.admin.Admin raw = org.apache.kafka.clients.admin.Admin.create(kafka)) {
        admin.createAll(topics, 3, (short) 1);
        raw.createTopics(List.of(new NewTopic(PEER_OUTPUT, 3, (short) 1))).all().get();
      }
      System.err.println("training the test model...");
      ModelRegistry registry = new ModelRegistry(registryDir);
      ModelVersion version = TestModels.publish(registry, 0);
      Path fp32 = version.file(FileRoles.FP32_ONNX);
      try (KafkaProducer<String, byte[]> producer = TopicClients.producer(kafka)) {
        TopicClients.activate(producer, topics, version.ref().version());
        for (int i = 0; i < n; i++) {
          Sample s = TestModels.sample("peer", i, System.currentTimeMillis());
          producer.send(new ProducerRecord<>(topics.samples().name(), s.id(), CODEC.encode(s)));
        }
        producer.flush();
      }
      System.err.printf("%d samples in %s; python %s with %d torch threads%n", n, topics.samples().name(), python,
          pythonThreads);

      boolean withPeer = !python.equals("none");
      // Untimed drains first, until the JIT has settled: it compiles Osprey's loop and the broker's and
      // clients' request paths for about a million samples on two cores (a service runs for days: its
      // steady state is what a user gets). Settled = two drains in a row with the compilers busy for
      // less than 15% of the drain. One untimed round of the peer: the OS caches Python's modules.
      int warmups = 0;
      int settled = 0;
      while (warmups < maxWarmups && settled < 2) {
        warmups++;
        Drain d = osprey(kafka, topics, registry, -warmups, n);
        settled = d.jitSettled() ? settled + 1 : 0;
        System.err.println("warm-up " + warmups + ": " + d
            + (withPeer && warmups == 1 ? ", " + peer(kafka, topics, python, script, fp32, -warmups, n, pythonThreads) : ""));
      }
      if (settled < 2) {
        System.err.println("the JIT had not settled after " + warmups + " warm-up drains: the figures below are not the "
            + "steady state");
      }
      List<Drain> osprey = new ArrayList<>();
      List<Drain> peer = new ArrayList<>();
      List<Double> raw = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        boolean ospreyFirst = round % 2 == 1;
        for (int k = 0; k < 2; k++) {
          if ((k == 0) == ospreyFirst) {
            long from = System.currentTimeMillis();
            osprey.add(osprey(kafka, topics, registry, round, n));
            System.err.printf(Locale.ROOT, "round %d: %s, wall clock %s .. %s%n", round, last(osprey),
                java.time.Instant.ofEpochMilli(from), java.time.Instant.now());
            raw.add(rawLoop(registry, version, n));
            System.err.printf(Locale.ROOT, "round %d: raw loop of the served plan %.0f samples/s%n", round, last(raw));
          } else if (withPeer) {
            peer.add(peer(kafka, topics, python, script, fp32, round, n, pythonThreads));
            System.err.println("round " + round + ": " + last(peer));
          }
        }
      }
      if (withPeer) {
        System.out.println(report(osprey, peer, n, pythonThreads, warmups));
      }
      System.out.printf(Locale.ROOT, "Osprey median %.0f samples/s (min %.0f)%n",
          median(osprey.stream().mapToDouble(Drain::rate).toArray()), osprey.stream().mapToDouble(Drain::rate).min().orElse(0));
      double[] share = new double[osprey.size()];
      for (int i = 0; i < share.length; i++) {
        share[i] = osprey.get(i).rate() / raw.get(i);
      }
      System.out.printf(Locale.ROOT, "the service's share of the raw loop of its plan (median raw %.0f samples/s): median "
          + "%.0f%%, per round %s; after %d warm-up drains (JIT %s), the JIT compiling per round %s s%n",
          median(raw.stream().mapToDouble(Double::doubleValue).toArray()), 100 * median(share),
          Arrays.toString(Arrays.stream(share).map(x -> Math.round(x * 100)).toArray()), warmups,
          settled >= 2 ? "settled" : "NOT settled",
          osprey.stream().map(d -> String.format(Locale.ROOT, "%.2f", d.jitSeconds())).toList());
    } finally {
      try (var walk = Files.walk(registryDir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static Drain osprey(Properties kafka, Topics topics, ModelRegistry registry, int round, int n) throws Exception {
    try (Counter out = new Counter(kafka, topics.predictions().name())) {
      long start = System.nanoTime();
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      CpuByThread cpu = new CpuByThread();
      try (InferenceService service = new InferenceService(InferenceConfig.of(TestModels.NAME)
          .withInstance("bench-osprey-" + round, "0").withHttp("127.0.0.1", -1, null), topics, meters,
          registry, kafka)) {
        service.start();
        Drain d = out.await("osprey", n, start);
        System.err.println("  loop stages, seconds in all: " + stages(meters));
        System.err.println("  CPU seconds from start to the last prediction: " + cpu.since());
        return d.withJit(cpu.jitSeconds());
      }
    }
  }

  /**
   * The raw loop of the plan the service serves: loaded by the same loader with the service's
   * default options ({@code precision=auto}), fed ready normalized batches of 64 on this thread,
   * called as the service calls it (logits only: the service emits no embedding by default),
   * called as the service calls it (logits only: the service emits no embedding by default),
   * {@code n} samples timed after a warm-up.
   */
  private static double rawLoop(ModelRegistry registry, ModelVersion version, int n) throws Exception {
    float[] x = dev.osprey.model.runtime.ImageBatches.normalize(TestModels.test(), dev.osprey.model.InputSpec.mnist(), 0,
        640);
    dev.osprey.model.serving.LoadedModel model = new dev.osprey.model.serving.ModelLoader(
        InferenceConfig.of(TestModels.NAME).serving(), registry, java.time.Clock.systemUTC())
        .load(dev.osprey.core.event.ModelActivation.of(TestModels.NAME, version.ref().version(), 1L, "bench", "raw loop"),
            null);
    try {
      float[][] batches = new float[10][];
      for (int i = 0; i < batches.length; i++) {
        batches[i] = Arrays.copyOfRange(x, i * 64 * 784, (i + 1) * 64 * 784);
      }
      for (int i = 0; i < 100; i++) {
        model.predictor().predict(batches[i % 10], 0, 64, false);
      }
      long start = System.nanoTime();
      for (int i = 0; i < n / 64; i++) {
        model.predictor().predict(batches[i % 10], 0, 64, false);
      }
      return (n / 64 * 64) / ((System.nanoTime() - start) / 1e9);
    } finally {
      model.release();
    }
  }

  /** Where the loop's time went: the service's stage timers, summed (the rest is polling and waiting). */
  private static String stages(SimpleMeterRegistry meters) {
    StringBuilder out = new StringBuilder();
    for (String name : List.of(InferenceMetrics.PREPROCESS_LATENCY, InferenceMetrics.MODEL_LATENCY,
        InferenceMetrics.POSTPROCESS_LATENCY, InferenceMetrics.TRANSACTION_LATENCY)) {
      double seconds = meters.find(name).timers().stream().mapToDouble(t -> t.totalTime(TimeUnit.SECONDS)).sum();
      long count = meters.find(name).timers().stream().mapToLong(io.micrometer.core.instrument.Timer::count).sum();
      out.append(String.format(Locale.ROOT, "%s %.2f (%d)  ", name.substring("osprey.inference.".length()), seconds, count));
      if (name.equals(InferenceMetrics.MODEL_LATENCY) && meters.find(InferenceMetrics.MODEL_CPU).counter() != null) {
        // below the calls' wall time: the model thread was runnable but waiting for a core
        out.append(String.format(Locale.ROOT, "model.cpu %.2f  ", meters.get(InferenceMetrics.MODEL_CPU).counter().count()));
      }
    }
    meters.getMeters().stream().filter(m -> m.getId().getName().matches("kafka\\.producer\\.txn\\..*time.*"))
        .forEach(m -> out.append(String.format(Locale.ROOT, "%s %.2f  ", m.getId().getName().substring("kafka.producer."
            .length()), m.measure().iterator().next().getValue() / 1e9)));
    return out.toString().trim();
  }

  private static Drain peer(Properties kafka, Topics topics, String python, Path script, Path fp32, int round, int n,
      int threads) throws Exception {
    try (Counter out = new Counter(kafka, PEER_OUTPUT)) {
      long start = System.nanoTime();
      Process p = new ProcessBuilder(python, script.toString(), "--bootstrap", kafka.getProperty("bootstrap.servers"),
          "--topic", topics.samples().name(), "--output", PEER_OUTPUT, "--group", "bench-python-" + round,
          "--model", fp32.toString(), "--count", Integer.toString(n), "--threads", Integer.toString(threads))
          .redirectErrorStream(true).start();
      try {
        Drain d = out.await("python", n, start);
        StringBuilder said = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          r.lines().forEach(l -> said.append(l).append('\n'));
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IllegalStateException("the Python consumer failed:\n" + said);
        }
        System.err.print("python says: " + said);
        return d;
      } finally {
        p.destroyForcibly();
      }
    }
  }

  /**
   * CPU seconds of this process's threads since construction, grouped: the service's model thread,
   * its decoder and committer, its Kafka clients' I/O threads, the broker, the reader that times the
   * drain (main), and the rest of the JVM (garbage collection, JIT; the process's CPU time minus
   * its Java threads'). The broker and the reader share the two cores with the service here; the
   * raw loop has a core to itself.
   */
  private static final class CpuByThread {
    private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    private final java.util.Map<Long, Long> before = snapshot();
    private final long processBefore = os.getProcessCpuTime();
    private final java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
    private final long jitBefore = jit.getTotalCompilationTime();
    private final long gcBefore = gcMillis();

    /** Seconds the JIT compiled since construction (the JVM's estimate over its compiler threads). */
    double jitSeconds() {
      return (jit.getTotalCompilationTime() - jitBefore) / 1e3;
    }

    private static long gcMillis() {
      long ms = 0;
      for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
        ms += Math.max(0, gc.getCollectionTime());
      }
      return ms;
    }

    private java.util.Map<Long, Long> snapshot() {
      java.util.Map<Long, Long> cpu = new java.util.HashMap<>();
      for (long id : threads.getAllThreadIds()) {
        long t = threads.getThreadCpuTime(id);
        if (t >= 0) {
          cpu.put(id, t);
        }
      }
      return cpu;
    }

    String since() {
      java.util.Map<String, Double> groups = new java.util.LinkedHashMap<>();
      for (String g : List.of("model thread", "decoder", "committer", "service clients' I/O", "broker", "reader (main)",
          "GC/JIT/rest of the JVM")) {
        groups.put(g, 0.0);
      }
      double threadsTotal = 0;
      for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (info == null) {
          continue;
        }
        long now = threads.getThreadCpuTime(info.getThreadId());
        if (now < 0) {
          continue;
        }
        double s = (now - before.getOrDefault(info.getThreadId(), 0L)) / 1e9;
        threadsTotal += s;
        String name = info.getThreadName();
        String group = name.startsWith("osprey-inference-loop") ? "model thread"
            : name.startsWith("osprey-inference-decode") ? "decoder"
            : name.startsWith("osprey-inference-commit") ? "committer"
            : name.contains("| bench-osprey") ? "service clients' I/O"
            : name.equals("main") ? "reader (main)" : "broker";
        groups.merge(group, s, Double::sum);
      }
      groups.put("GC/JIT/rest of the JVM", Math.max(0, (os.getProcessCpuTime() - processBefore) / 1e9 - threadsTotal));
      StringBuilder out = new StringBuilder();
      groups.forEach((g, s) -> out.append(String.format(Locale.ROOT, "%s %.2f, ", g, s)));
      // of the rest: the JIT compilers' time (the JVM's estimate) and the collectors' pauses
      out.append(String.format(Locale.ROOT, "of it JIT compiling %.2f s, GC pauses %.2f s",
          jitSeconds(), (gcMillis() - gcBefore) / 1e3));
      return out.toString();
    }
  }

  /** Reads one output topic read_committed from its current end and counts what arrives. */
  private static final class Counter implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;

    Counter(Properties kafka, String topic) {
      Properties p = new Properties();
      p.putAll(kafka);
      p.put("isolation.level", "read_committed");
      p.put("max.poll.records", "5000");
      consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToEnd(parts);
      parts.forEach(consumer::position);
    }

    Drain await(String contender, int n, long start) {
      long first = 0;
      long lastAt = 0;
      int seen = 0;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
      while (seen < n && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(5))) {
          if (r.key() != null && r.key().startsWith("peer-")) {
            seen++;
          }
        }
        long now = System.nanoTime();
        if (seen > 0 && first == 0) {
          first = now;
        }
        lastAt = now;
      }
      if (seen < n) {
        throw new IllegalStateException(contender + " predicted only " + seen + " of " + n + " samples in 10 minutes");
      }
      return new Drain(contender, seen, (lastAt - first) / 1e9, (first - start) / 1e9);
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  private static String report(List<Drain> osprey, List<Drain> peer, int n, int threads, int warmups)
      throws java.io.IOException {
    StringBuilder out = new StringBuilder();
    String load = Files.readString(Path.of("/proc/loadavg")).trim();
    out.append(String.format(Locale.ROOT, "%d samples, %d rounds (alternating order) after %d warm-up drains, python torch "
        + "threads %d, %s, load average at the end %s%n%n", n, osprey.size(), warmups, threads, HostProfile.current().key(),
        String.join(" ", Arrays.asList(load.split(" ")).subList(0, 3))));
    out.append("| round | Osprey samples/s | Osprey start to first prediction s | Python samples/s | Python start to first "
        + "prediction s | ratio |\n|---|---|---|---|---|---|\n");
    double[] ratios = new double[osprey.size()];
    for (int i = 0; i < osprey.size(); i++) {
      Drain o = osprey.get(i);
      Drain p = peer.get(i);
      ratios[i] = o.rate() / p.rate();
      out.append(String.format(Locale.ROOT, "| %d | %.0f | %.2f | %.0f | %.2f | %.2fx |%n", i + 1, o.rate(),
          o.startSeconds(), p.rate(), p.startSeconds(), ratios[i]));
    }
    out.append(String.format(Locale.ROOT, "%nmedian: Osprey %.0f samples/s (min %.0f), Python %.0f (min %.0f), ratio %.2fx "
        + "(min %.2fx)%n", median(osprey.stream().mapToDouble(Drain::rate).toArray()),
        osprey.stream().mapToDouble(Drain::rate).min().orElse(0), median(peer.stream().mapToDouble(Drain::rate).toArray()),
        peer.stream().mapToDouble(Drain::rate).min().orElse(0), median(ratios), Arrays.stream(ratios).min().orElse(0)));
    return out.toString();
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static <T> T last(List<T> list) {
    return list.get(list.size() - 1);
  }
}
