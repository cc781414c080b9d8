package dev.osprey.cli.demo;

import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.config.ConfigSource;
import dev.osprey.core.config.MetricsSettings;
import dev.osprey.core.event.DriftReport;
import dev.osprey.ingest.replay.DriftSpec;
import dev.osprey.explain.service.ExplainConfig;
import dev.osprey.explain.service.ExplainMetrics;
import dev.osprey.explain.service.ExplainService;
import dev.osprey.monitor.service.MonitorConfig;
import dev.osprey.monitor.service.MonitorService;
import dev.osprey.core.metrics.MetricsServer;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.topic.Topics;
import dev.osprey.ingest.IngestConfig;
import dev.osprey.ingest.IngestService;
import dev.osprey.ingest.replay.ReplayConfig;
import dev.osprey.ingest.replay.ReplayProducer;
import dev.osprey.inference.InferenceConfig;
import dev.osprey.inference.InferenceService;
import dev.osprey.trainer.pipeline.ModelPackager;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.serving.ServingModel;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
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
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What {@code osprey demo} does, as steps a test also calls (so the README walkthrough cannot
 * rot): start an embedded broker, create the topics, get a model (reuse, or train and publish),
 * start ingest and inference, replay real MNIST with junk and delayed labels mixed in while
 * printing live throughput and online accuracy, then count what arrived where.
 */
public final class Demo implements AutoCloseable {

  /**
   * @param dataset e.g. fixture:train (bundled) or mnist:test (after data fetch)
   * @param samples samples to replay
   * @param junk malformed records mixed in, of every reject kind
   * @param feedbackFraction fraction of samples that also get a true label
   * @param rate samples per second, 0 = as fast as possible
   * @param seed same seed, same stream
   * @param workDir where ingest keeps its state (removed by the caller)
   * @param registryDir the model registry: the demo serves its latest "digits" version, or makes one
   * @param timeout how long to wait for everything to arrive
   * @param drift a drift applied to the replay (e.g. {@code rotate:30@1500}), or null for none
   */
  public record Options(String dataset, int samples, int junk, double feedbackFraction, double rate, long seed,
      Path workDir, Path registryDir, Duration timeout, String drift) {
    public Options {
      if (samples < 1) {
        throw new IllegalArgumentException("samples must be >= 1, got " + samples);
      }
      if (junk < 0) {
        throw new IllegalArgumentException("junk must be >= 0, got " + junk);
      }
    }
  }

  /** What was counted on each topic after the replay. */
  public record Arrivals(int samples, int distinctSampleIds, int feedback, int dlq, Map<String, Integer> dlqByReason,
      PredictionWatch.Tally predictions) {}

  /** The served model's name in the demo's registry. */
  public static final String MODEL = "digits";

  private final Options options;
  private final Datasets datasets;
  private final PrintStream out;
  // One registry per service, as when each runs in its own process: dashboards select by service.
  private final PrometheusMeterRegistry ingestMetrics = PrometheusMetrics.newRegistry("ingest");
  private final PrometheusMeterRegistry inferenceMetrics = PrometheusMetrics.newRegistry("inference");
  private final PrometheusMeterRegistry monitorMetrics = PrometheusMetrics.newRegistry("monitor");
  private MetricsServer ingestMetricsServer;
  private MetricsServer monitorMetricsServer;
  private MonitorService monitor;
  private final PrometheusMeterRegistry explainMetrics = PrometheusMetrics.newRegistry("explain");
  private ExplainService explain;
  private final Topics topics = Topics.defaults();
  private EmbeddedKafkaBroker broker;
  private IngestService ingest;
  private IngestService joins;
  private InferenceService inference;
  private ModelVersion model;
  private PredictionWatch watch;

  public Demo(Options options, Datasets datasets, PrintStream out) {
    this.options = options;
    this.datasets = datasets;
    this.out = out;
  }

  /** Step 1: a real single-node Kafka on 127.0.0.1 and Osprey's topics. */
  public String startBroker() throws Exception {
    broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.ephemeral());
    try (TopicAdmin admin = new TopicAdmin(clientProperties())) {
      admin.createAll(topics, 3, (short) 1);
    }
    out.println("[1/9] Kafka broker up on " + broker.bootstrapServers() + ", " + topics.all().size() + " topics created");
    return broker.bootstrapServers();
  }

  /** Step 2: the model — the registry's latest verified version, or a student trained, quantized and published now. */
  public ModelVersion ensureModel() throws Exception {
    out.println("[2/9] model: " + MODEL + " in " + options.registryDir());
    model = new DemoModel(new ModelRegistry(options.registryDir()), datasets, out).ensure(MODEL);
    return model;
  }

  /** Step 4: the inference service (int8 on ONNX Runtime CPU), told to serve the model through osprey.models. */
  public ServingModel startInference() throws Exception {
    InferenceConfig config = InferenceConfig.of(MODEL).withHttp("127.0.0.1", 0, null);
    inference = new InferenceService(config, topics, inferenceMetrics, new ModelRegistry(options.registryDir()), clientProperties());
    inference.start();
    inference.activate(model.manifest().version(), "osprey demo", "serve the demo model");
    if (!pollUntil(Duration.ofSeconds(60), Duration.ofMillis(50), inference::isReady)) {
      throw new IllegalStateException("inference did not become ready within 60 s");
    }
    ServingModel serving = inference.serving().orElseThrow();
    out.printf("[6/9] inference serving %s (%s, %s) from %s -> %s; HTTP on 127.0.0.1:%d%n", serving.ref(), serving.runtime(),
        serving.precision(), topics.samples().name(), topics.predictions().name(), inference.httpPort());
    watch = new PredictionWatch(clientProperties(), topics, out);
    watch.start();
    return serving;
  }

  /** Step 3: the ingest service's validation topologies. */
  public void startIngest() throws Exception {
    Path state = Files.createDirectories(options.workDir().resolve("ingest-state"));
    ingest = new IngestService(IngestConfig.of(clientProperties(), state), topics, ingestMetrics);
    ingest.start();
    joins = IngestService.labelJoins(IngestConfig.of(clientProperties(), state), topics, ingestMetrics,
        java.time.Duration.ofMinutes(10));
    joins.start();
    ingestMetricsServer = new MetricsServer(new MetricsSettings("127.0.0.1", 0), ingestMetrics, () -> ingest.health().live());
    out.println("[3/9] ingest running: " + topics.samplesRaw().name() + " -> " + topics.samples().name()
        + ", " + topics.feedbackRaw().name() + " -> " + topics.feedback().name() + ", rejects -> " + topics.dlq().name()
        + "; label joins -> " + topics.labeled().name() + ", " + topics.outcomes().name());
  }

  /**
   * Step 3b: the monitor: drift detectors on the predictions (and the inputs' summaries) against the
   * served version's reference profile, online accuracy from the labels ingest joins to predictions.
   */
  public void startMonitor() throws Exception {
    MonitorConfig config = MonitorConfig.from(ConfigSource.of(Map.of(
        MonitorConfig.KEY_SUMMARY_BUFFER, "8192",
        MonitorConfig.KEY_CALIBRATION_ALARMS, "20")), clientProperties());
    monitor = new MonitorService(config, topics, monitorMetrics, new ModelRegistry(options.registryDir()), clientProperties());
    monitor.start();
    monitorMetricsServer = new MetricsServer(new MetricsSettings("127.0.0.1", 0), monitorMetrics, () -> monitor.health().live());
    out.println("[4/9] monitor running: " + topics.predictions().name() + " + " + topics.outcomes().name() + " -> drift detectors, "
        + "online accuracy -> " + topics.drift().name());
  }

  /** Where the explain service writes its PNG heatmaps: beside the registry, so they outlive the demo. */
  public Path heatmapDir() {
    return options.registryDir().toAbsolutePath().getParent().resolve("heatmaps");
  }

  /**
   * Step 4b: the explain service: samples the predictions (a rate plus every low-confidence, wrong
   * or drifted one), explains each with the version that predicted it, writes heatmaps.
   */
  public void startExplain() throws Exception {
    ExplainConfig config = ExplainConfig.of(MODEL).withHttp("127.0.0.1", 0).withHeatmaps(heatmapDir(), 200);
    explain = new ExplainService(config, topics, explainMetrics, new ModelRegistry(options.registryDir()), clientProperties());
    explain.start();
    out.println("[5/9] explain running: sampled " + topics.predictions().name() + " + " + topics.samples().name() + " -> "
        + topics.explanations().name() + ", heatmaps in " + heatmapDir());
  }

  /** Explanations written so far, by method and trigger (from the explain service's meters). */
  public Map<String, Double> explanationCounts() {
    Map<String, Double> out = new TreeMap<>();
    if (explain != null) {
      explainMetrics.find(ExplainMetrics.EXPLANATIONS).counters().forEach(c ->
          out.merge(c.getId().getTag("method") + "/" + c.getId().getTag("trigger"), c.count(), Double::sum));
    }
    return out;
  }

  /** Step 3: replay real samples with junk and labels mixed in. */
  public ReplayProducer.Summary replay() throws IOException {
    ImageDataset data = datasets.load(options.dataset());
    ReplayConfig cfg = ReplayConfig.of(options.dataset(), "demo", options.seed(), System.currentTimeMillis())
        .withLimit(options.samples())
        .withRate(options.rate())
        .withJunk(options.junk(), ReplayConfig.DEFAULT_JUNK_TOO_LARGE_BYTES)
        .withFeedback(options.feedbackFraction(), 100)
        .withProgress(true);
    if (options.drift() != null) {
      cfg = cfg.withDrifts(DriftSpec.parseAll(List.of(options.drift())));
    }
    ReplayProducer replay = new ReplayProducer(cfg, topics, data);
    ReplayProducer.Summary summary;
    try (var producer = ReplayProducer.newKafkaProducer(clientProperties(), topics)) {
      summary = replay.run(producer);
    }
    out.printf("[7/9] replayed %d real samples of %s%s, %d junk records, %d labels in %.1f s%n",
        summary.samples(), options.dataset(), options.drift() == null ? "" : " (drift " + options.drift() + ")",
        summary.junkTotal(), summary.feedback(), summary.elapsed().toMillis() / 1000.0);
    return summary;
  }

  /** Step 4: read every output topic (read_committed) until the expected counts arrive or time runs out. */
  public Arrivals awaitArrivals(ReplayProducer.Summary expected) {
    Properties p = clientProperties();
    p.put("isolation.level", "read_committed");
    p.put("auto.offset.reset", "earliest");
    Set<String> ids = new HashSet<>();
    int[] counts = new int[3];
    Map<String, Integer> reasons = new TreeMap<>();
    try (var samples = consumer(p, topics.samples().name());
        var feedback = consumer(p, topics.feedback().name());
        var dlq = consumer(p, topics.dlq().name())) {
      boolean arrived = pollUntil(options.timeout(), Duration.ofMillis(100), () -> {
        for (ConsumerRecord<String, byte[]> r : samples.poll(Duration.ofMillis(200))) {
          counts[0]++;
          ids.add(r.key());
        }
        counts[1] += feedback.poll(Duration.ofMillis(50)).count();
        for (ConsumerRecord<String, byte[]> r : dlq.poll(Duration.ofMillis(50))) {
          counts[2]++;
          reasons.merge(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON), 1, Integer::sum);
        }
        return counts[0] >= expected.samples() && counts[1] >= expected.feedback()
            && counts[2] >= expected.junkTotal() && (watch == null || watch.tally().predictions() >= expected.samples());
      });
      if (!arrived) {
        out.println("timed out after " + options.timeout() + " waiting for all records");
      }
    }
    PredictionWatch.Tally tally = watch == null ? PredictionWatch.Tally.EMPTY : watch.stop();
    return new Arrivals(counts[0], ids.size(), counts[1], counts[2], reasons, tally);
  }

  /** What the monitor said about the replay's drift. */
  public record DriftSummary(int onsetIndex, List<DriftReport> alarms, double accuracyBefore, int labelledBefore,
      double accuracyAfter, int labelledAfter) {
    /** The first alarm raised at or after the drift's onset, if any. */
    public java.util.Optional<DriftReport> firstAlarmAfterOnset() {
      return alarms.stream().filter(a -> a.samplesSeen() >= onsetIndex).findFirst();
    }
  }

  /**
   * Step 6: waits until the monitor has seen every prediction, reads its drift reports
   * (read_committed) and prints when the drift was flagged and what the accuracy did.
   */
  public DriftSummary awaitDriftReport(ReplayProducer.Summary sent) {
    int onset = options.drift() == null ? Integer.MAX_VALUE : (int) DriftSpec.parseAll(List.of(options.drift())).get(0).range().from();
    pollUntil(options.timeout(), Duration.ofMillis(200), () -> monitor.view().models().stream()
        .mapToLong(m -> m.driftSamples()).sum() >= sent.samples());
    Properties p = clientProperties();
    p.put("isolation.level", "read_committed");
    List<DriftReport> alarms = new ArrayList<>();
    try (var drift = new KafkaConsumer<>(p, topics.drift().keySerde().deserializer(), topics.drift().valueSerde().deserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      drift.partitionsFor(topics.drift().name()).forEach(pi -> parts.add(new TopicPartition(topics.drift().name(), pi.partition())));
      drift.assign(parts);
      drift.seekToBeginning(parts);
      Map<TopicPartition, Long> end = drift.endOffsets(parts);
      pollUntil(Duration.ofSeconds(30), Duration.ofMillis(10), () -> {
        for (var r : drift.poll(Duration.ofMillis(100))) {
          if (r.value().state() == DriftReport.State.ALARM) {
            alarms.add(r.value());
          }
        }
        return parts.stream().allMatch(tp -> drift.position(tp) >= end.get(tp));
      });
    }
    alarms.sort(java.util.Comparator.comparingLong(DriftReport::samplesSeen));
    double[] split = watch == null ? new double[] {Double.NaN, 0, Double.NaN, 0} : watch.accuracySplit(onset);
    DriftSummary d = new DriftSummary(onset, alarms, split[0], (int) split[1], split[2], (int) split[3]);
    out.println("[8/9] monitor and explain say:");
    if (options.drift() == null) {
      out.printf("  no drift replayed; %d alarms (false alarms expected about once per %s predictions)%n", alarms.size(), "10,000");
    } else {
      out.printf(java.util.Locale.ROOT, "  drift %s began at sample %d; online accuracy %.4f on %d labelled before, %.4f on %d after%n",
          options.drift(), onset, d.accuracyBefore(), d.labelledBefore(), d.accuracyAfter(), d.labelledAfter());
      d.firstAlarmAfterOnset().ifPresentOrElse(
          a -> out.printf(java.util.Locale.ROOT, "  flagged by %s at prediction %d (%d after the onset): statistic %.3f > threshold %.3f%n",
              a.detector(), a.samplesSeen(), a.samplesSeen() - onset, a.statistic(), a.threshold()),
          () -> out.println("  the monitor raised no alarm after the onset"));
      alarms.stream().filter(a -> a.samplesSeen() < onset)
          .forEach(a -> out.printf("  false alarm before the drift: %s at prediction %d%n", a.detector(), a.samplesSeen()));
      alarms.stream().filter(a -> a.samplesSeen() >= onset).map(DriftReport::detector).distinct()
          .forEach(det -> out.println("  in alarm: " + det));
    }
    if (explain != null) {
      // explanations trail the predictions (gradients, occlusion and SHAP cost milliseconds each)
      pollUntil(Duration.ofSeconds(60), Duration.ofMillis(200),
          () -> explanationCounts().values().stream().mapToDouble(Double::doubleValue).sum() > 0);
    }
    out.println("  explanations (method/trigger): " + explanationCounts() + "; heatmaps in " + heatmapDir());
    monitor.view().models().forEach(m -> m.versions().forEach(v -> out.printf(java.util.Locale.ROOT,
        "  %s v%d: realized accuracy (last labelled) %.4f, estimated without labels %.4f%n", m.model(), v.version(),
        v.lastN().accuracy(), v.estimatedAccuracy())));
    return d;
  }

  /** Prints the report; returns true when every record arrived exactly once where it should. */
  public boolean report(ReplayProducer.Summary sent, Arrivals got) {
    out.println("[9/9] what arrived where (read_committed):");
    out.printf("  %-22s %8s %8s%n", "topic", "sent", "arrived");
    out.printf("  %-22s %8d %8d  (%d distinct ids)%n", topics.samples().name(), sent.samples(), got.samples(),
        got.distinctSampleIds());
    out.printf("  %-22s %8d %8d%n", topics.feedback().name(), sent.feedback(), got.feedback());
    PredictionWatch.Tally p = got.predictions();
    if (watch != null) {
      out.printf("  %-22s %8d %8d  (%d distinct ids, by %s)%n", topics.predictions().name(), sent.samples(), p.predictions(),
          p.distinctIds(), p.versions());
      out.printf("  online accuracy on the %d labelled samples: %.4f (registry says %.4f on fixture:test)%n", p.labelled(),
          p.accuracy(), model.manifest().metrics().getOrDefault(ModelPackager.ACCURACY, Double.NaN));
    }
    out.printf("  %-22s %8d %8d%n", topics.dlq().name(), sent.junkTotal(), got.dlq());
    Map<String, Integer> sentByReason = new TreeMap<>();
    sent.junk().forEach((r, n) -> sentByReason.put(r.code(), n));
    for (String reason : sentByReason.keySet()) {
      out.printf("    reason %-18s %6d %8d%n", reason, sentByReason.get(reason), got.dlqByReason().getOrDefault(reason, 0));
    }
    boolean predicted = watch == null || (p.predictions() == sent.samples() && p.distinctIds() == sent.samples());
    boolean ok = predicted && got.samples() == sent.samples() && got.distinctSampleIds() == sent.samples()
        && got.feedback() == sent.feedback() && got.dlq() == sent.junkTotal()
        && sentByReason.equals(got.dlqByReason());
    out.println(ok ? "OK: every sample validated and predicted exactly once, every bad record in the DLQ with its reason."
        : "MISMATCH: see the table above.");
    return ok;
  }

  /**
   * host:port of every {@code /metrics} endpoint the demo's services expose, for a Prometheus to
   * scrape: ingest's metrics server and inference's HTTP server.
   */
  public List<String> metricsTargets() {
    List<String> targets = new ArrayList<>();
    if (ingestMetricsServer != null) {
      targets.add("127.0.0.1:" + ingestMetricsServer.port());
    }
    if (monitorMetricsServer != null) {
      targets.add("127.0.0.1:" + monitorMetricsServer.port());
    }
    if (explain != null && explain.httpPort() > 0) {
      targets.add("127.0.0.1:" + explain.httpPort());
    }
    if (inference != null) {
      targets.add("127.0.0.1:" + inference.httpPort());
    }
    return targets;
  }

  /** Prometheus text of this run's metrics (ingest counters etc.). */
  public String scrape() {
    return ingestMetrics.scrape() + inferenceMetrics.scrape() + monitorMetrics.scrape() + explainMetrics.scrape();
  }

  /**
   * Checks {@code done} every {@code interval} until it holds or {@code timeout} has passed, on this
   * thread (the condition polls Kafka consumers owned by it). False on timeout or interrupt.
   */
  private static boolean pollUntil(Duration timeout, Duration interval, BooleanSupplier done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      try {
        Thread.sleep(interval.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private KafkaConsumer<String, byte[]> consumer(Properties base, String topic) {
    var c = new KafkaConsumer<>(base, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = new ArrayList<>();
    c.partitionsFor(topic).forEach(pi -> parts.add(new TopicPartition(topic, pi.partition())));
    c.assign(parts);
    c.seekToBeginning(parts);
    return c;
  }

  private Properties clientProperties() {
    Properties p = new Properties();
    p.put("bootstrap.servers", broker.bootstrapServers());
    return p;
  }

  @Override
  public void close() {
    // services first, the broker last: a service closing after the broker waits on it
    if (watch != null) {
      watch.stop();
    }
    if (explain != null) {
      explain.close();
    }
    if (inference != null) {
      inference.close();
    }
    if (monitor != null) {
      monitor.close();
    }
    if (joins != null) {
      joins.close();
    }
    if (ingest != null) {
      ingest.close();
    }
    for (MetricsServer server : new MetricsServer[] {ingestMetricsServer, monitorMetricsServer}) {
      if (server != null) {
        server.close();
      }
    }
    if (broker != null) {
      broker.close();
    }
    explainMetrics.close();
    monitorMetrics.close();
    ingestMetrics.close();
    inferenceMetrics.close();
  }

  /** For the counts in tests. */
  static Map<String, Integer> toCodes(Map<?, Integer> m) {
    Map<String, Integer> out = new HashMap<>();
    m.forEach((k, v) -> out.put(k.toString(), v));
    return out;
  }
}
