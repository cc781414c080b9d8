package dev.osprey.cli.demo;

import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.config.ConfigSource;
import dev.osprey.core.config.MetricsSettings;
import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.RunTransition;
import dev.osprey.ingest.replay.DriftSpec;
import dev.osprey.explain.service.ExplainConfig;
import dev.osprey.explain.service.ExplainMetrics;
import dev.osprey.explain.service.ExplainService;
import dev.osprey.monitor.report.MonitorReport;
import dev.osprey.monitor.report.MonitorTimeline;
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
import dev.osprey.trainer.service.TrainerConfig;
import dev.osprey.trainer.service.TrainerService;
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
      Path workDir, Path registryDir, Duration timeout, String drift, LoopScenario loop) {
    public Options {
      if (samples < 1) {
        throw new IllegalArgumentException("samples must be >= 1, got " + samples);
      }
      if (junk < 0) {
        throw new IllegalArgumentException("junk must be >= 0, got " + junk);
      }
      if (loop != null && (drift == null || rate <= 0)) {
        throw new IllegalArgumentException("the loop scenario needs a drift and a rate > 0 (label times are replay times), got drift "
            + drift + ", rate " + rate);
      }
    }

    /** The plain demo, without the retraining loop. */
    public Options(String dataset, int samples, int junk, double feedbackFraction, double rate, long seed, Path workDir,
        Path registryDir, Duration timeout, String drift) {
      this(dataset, samples, junk, feedbackFraction, rate, seed, workDir, registryDir, timeout, drift, null);
    }
  }

  /** What was counted on each topic after the replay. */
  public record Arrivals(int samples, int distinctSampleIds, int feedback, int dlq, Map<String, Integer> dlqByReason,
      PredictionWatch.Tally predictions) {}

  /** The served model's name in the demo's registry. */
  public static final String MODEL = "digits";
  /** A sample's label is sent this many samples after it. */
  public static final int FEEDBACK_DELAY = 100;

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
  private MonitorConfig monitorConfig;
  private final PrometheusMeterRegistry explainMetrics = PrometheusMetrics.newRegistry("explain");
  private ExplainService explain;
  private final Topics topics = Topics.defaults();
  private EmbeddedKafkaBroker broker;
  private IngestService ingest;
  private IngestService joins;
  private InferenceService inference;
  private ModelVersion model;
  private PredictionWatch watch;
  private final PrometheusMeterRegistry trainerMetrics = PrometheusMetrics.newRegistry("trainer");
  private TrainerService trainer;
  private MetricsServer trainerMetricsServer;
  private long replayStartMillis;

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
    watch = new PredictionWatch(clientProperties(), topics, out, Duration.ofSeconds(options.loop() == null ? 1 : 5));
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
    monitorConfig = config;
    monitor = new MonitorService(config, topics, monitorMetrics, new ModelRegistry(options.registryDir()), clientProperties());
    monitor.start();
    monitorMetricsServer = new MetricsServer(new MetricsSettings("127.0.0.1", 0), monitorMetrics, () -> monitor.health().live());
    out.println("[4/9] monitor running: " + topics.predictions().name() + " + " + topics.outcomes().name() + " -> drift detectors, "
        + "online accuracy -> " + topics.drift().name());
  }

  /** Where {@link #writeTimeline()} writes the monitor's PNG timeline: beside the registry, with the heatmaps. */
  public Path timelinePng() {
    return options.registryDir().toAbsolutePath().getParent().resolve("monitor-timeline.png");
  }

  /**
   * The monitor's PNG timeline of this replay, as {@code osprey monitor report} renders it: realized
   * and estimated accuracy, each detector's score against its threshold, alarms, the versions served
   * and the trainer's runs.
   */
  public MonitorTimeline writeTimeline() throws IOException {
    MonitorTimeline t = new MonitorReport(clientProperties(), topics, new ModelRegistry(options.registryDir()))
        .write(MonitorReport.Options.of(MODEL).withDrift(monitorConfig.settings().drift()), timelinePng());
    out.println("  timeline (accuracy, drift scores, alarms, versions, runs): " + timelinePng());
    return t;
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
    out.println("[5/9] explain running: sampled " + topics.predictions().name() + " (each sample read from "
        + topics.samples().name() + " at the position its prediction names) -> " + topics.explanations().name()
        + ", heatmaps in " + heatmapDir());
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

  /**
   * Step 6b (the loop scenario): the trainer, in-process like the other services, with the demo's
   * settings ({@link LoopScenario#trainerConfig}), its {@code /metrics} on a port of its own.
   */
  public TrainerService startTrainer() throws Exception {
    if (options.loop() == null) {
      throw new IllegalStateException("the trainer runs in the loop scenario only (Options.loop)");
    }
    TrainerConfig config = options.loop().trainerConfig(MODEL);
    trainer = new TrainerService(config, topics, trainerMetrics, new ModelRegistry(options.registryDir()), clientProperties(),
        datasets);
    trainer.start();
    trainerMetricsServer = new MetricsServer(new MetricsSettings("127.0.0.1", 0), trainerMetrics, () -> trainer.health().live());
    if (!pollUntil(Duration.ofSeconds(60), Duration.ofMillis(50), () -> trainer.health().ready())) {
      throw new IllegalStateException("the trainer did not become ready within 60 s: " + trainer.health());
    }
    out.println("[6/9] trainer running: " + topics.labeled().name() + " + " + topics.drift().name() + " + " + topics.outcomes().name()
        + " -> fine-tune / re-distill -> gate -> " + topics.models().name() + "; run log " + topics.runs().name());
    out.println("  demo settings, so that a run takes seconds: " + options.loop().describe());
    return trainer;
  }

  /** Step 3: replay real samples with junk and labels mixed in. */
  public ReplayProducer.Summary replay() throws IOException {
    ImageDataset data = replayData(options.dataset());
    replayStartMillis = System.currentTimeMillis();
    ReplayConfig cfg = ReplayConfig.of(options.dataset(), "demo", options.seed(), replayStartMillis)
        .withLimit(options.samples())
        .withRate(options.rate())
        .withJunk(options.junk(), ReplayConfig.DEFAULT_JUNK_TOO_LARGE_BYTES)
        .withFeedback(options.feedbackFraction(), FEEDBACK_DELAY)
        .withProgress(true);
    if (options.drift() != null) {
      cfg = cfg.withDrifts(DriftSpec.parseAll(List.of(options.drift())));
    }
    ReplayProducer.Summary summary;
    if (options.loop() != null) {
      summary = replayUntilSwapped(cfg.withProgress(false), data);
    } else {
      ReplayProducer replay = new ReplayProducer(cfg, topics, data);
      try (var producer = ReplayProducer.newKafkaProducer(clientProperties(), topics)) {
        summary = replay.run(producer);
      }
    }
    out.printf("[7/9] replayed %d real samples of %s%s, %d junk records, %d labels in %.1f s%n",
        summary.samples(), options.dataset(), options.drift() == null ? "" : " (drift " + options.drift() + ")",
        summary.junkTotal(), summary.feedback(), summary.elapsed().toMillis() / 1000.0);
    return summary;
  }

  /**
   * The dataset to replay: {@code NAME:SPLIT}, or {@code NAME:SPLIT@FROM-TO} for images
   * {@code [FROM, TO)} of it (e.g. {@code mnist:train@30000-60000}: training images a model
   * trained on the first half never saw).
   *
   * @throws IllegalArgumentException if the range is malformed or outside the dataset
   */
  ImageDataset replayData(String spec) throws IOException {
    int at = spec.indexOf('@');
    if (at < 0) {
      return datasets.load(spec);
    }
    ImageDataset all = datasets.load(spec.substring(0, at));
    String[] range = spec.substring(at + 1).split("-", 2);
    try {
      return all.slice(Integer.parseInt(range[0].trim()), range.length > 1 ? Integer.parseInt(range[1].trim()) : all.size());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("dataset range must be @FROM-TO, got '" + spec + "'", e);
    }
  }

  /** Every labelled prediction so far, in replay order (the loop scenario's figures). */
  public List<PredictionWatch.Labelled> labelled() {
    return watch == null ? List.of() : watch.labelled();
  }

  /**
   * The loop scenario's replay: paced, and open-ended until {@link LoopScenario#samplesAfterSwap()} samples
   * after the trainer activated another version (or the sample limit).
   */
  private ReplayProducer.Summary replayUntilSwapped(ReplayConfig cfg, ImageDataset data) {
    int served = trainer.servingVersion();
    int[] swappedAt = {-1};
    out.printf(java.util.Locale.ROOT, "[7/9] replaying %s at %.0f samples/s (drift %s, %.0f%% labels %d samples late) until %d "
        + "samples after the trainer swaps the model, at most %d%n", options.dataset(), options.rate(), options.drift(),
        100 * options.feedbackFraction(), FEEDBACK_DELAY, options.loop().samplesAfterSwap(), options.samples());
    try (var producer = ReplayProducer.newKafkaProducer(clientProperties(), topics)) {
      return new ReplayProducer(cfg, topics, data).run(producer, i -> {
        if (swappedAt[0] < 0 && trainer.servingVersion() != served) {
          swappedAt[0] = i;
          out.printf("  sample %d: the trainer activated %s:%d%n", i, MODEL, trainer.servingVersion());
        }
        if (i > 0 && i % 1000 == 0) {
          out.printf("  sample %d sent%s%n", i, swappedAt[0] < 0 ? "" : " (" + (i - swappedAt[0]) + " since the swap)");
        }
        if (swappedAt[0] < 0 && i % 100 == 0 && noRunBefore(options.samples() - i) && runsEndedWithoutSwap()) {
          out.printf("  sample %d: the trainer's run ended without an activation (see the timeline below); the replay stops%n", i);
          return true;
        }
        return swappedAt[0] >= 0 && i >= swappedAt[0] + options.loop().samplesAfterSwap();
      });
    }
  }

  /**
   * The inference service's model calls from its meters: how many, their mean size and time, and
   * the share of their wall time the model thread had a core (the dashboard's "Model thread on a
   * core"; below ~90% the host is oversubscribed).
   */
  private String inferenceSummary() {
    var calls = inferenceMetrics.find(dev.osprey.inference.InferenceMetrics.MODEL_LATENCY).timers();
    long n = calls.stream().mapToLong(io.micrometer.core.instrument.Timer::count).sum();
    double wall = calls.stream().mapToDouble(t -> t.totalTime(java.util.concurrent.TimeUnit.SECONDS)).sum();
    if (n == 0) {
      return "no model calls";
    }
    var batches = inferenceMetrics.find(dev.osprey.inference.InferenceMetrics.BATCH_SIZE).summary();
    var cpu = inferenceMetrics.find(dev.osprey.inference.InferenceMetrics.MODEL_CPU).counter();
    double onCore = cpu == null ? Double.NaN : Math.min(1, cpu.count() / wall);
    return String.format(java.util.Locale.ROOT, "%d model calls of %.1f samples on average, %.2f ms each%s", n,
        batches == null ? Double.NaN : batches.mean(), 1000 * wall / n,
        Double.isNaN(onCore) ? "" : String.format(java.util.Locale.ROOT, "; the model thread was on a core %.0f%% of that "
            + "time%s", 100 * onCore, onCore < 0.9 ? " (the rest it waited: every service, the broker and the JVM's "
            + "compilers, still compiling a fresh start's code, and garbage collector share "
            + Runtime.getRuntime().availableProcessors() + " cores here)" : ""));
  }

  /** Whether the trainer's cooldown outlasts the replay's remaining {@code samples}: no run could start again. */
  private boolean noRunBefore(int samples) {
    return options.rate() <= 0 || options.loop().cooldown().toMillis() >= samples * 1000 / options.rate();
  }

  /** Whether a run of the trainer ended refused or abandoned (its meters say so): nothing will be swapped then. */
  private boolean runsEndedWithoutSwap() {
    return trainerMetrics.find("osprey.trainer.runs").counters().stream()
        .anyMatch(c -> !"kept".equals(c.getId().getTag("outcome")) && !"rolled_back".equals(c.getId().getTag("outcome"))
            && c.count() > 0);
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

  /**
   * Step 6: waits until the monitor has seen every prediction, reads its drift reports
   * (read_committed) and prints when the drift was flagged and what the accuracy did.
   */
  public DriftSummary awaitDriftReport(ReplayProducer.Summary sent) {
    int onset = options.drift() == null ? Integer.MAX_VALUE : (int) DriftSpec.parseAll(List.of(options.drift())).get(0).range().from();
    // predictions the monitor has seen, over every version (the detectors' own count restarts at a swap)
    pollUntil(options.timeout(), Duration.ofMillis(200), () -> monitor.view().models().stream()
        .flatMap(m -> m.versions().stream()).flatMapToLong(v -> java.util.Arrays.stream(v.predictedClasses())).sum() >= sent.samples());
    Properties p = clientProperties();
    p.put("isolation.level", "read_committed");
    List<DriftReport> alarms = new ArrayList<>();
    try (var drift = new KafkaConsumer<>(p, topics.drift().keySerde().deserializer(), topics.drift().valueSerde().deserializer())) {
      List<TopicPartition> parts = fromTheStart(drift, topics.drift().name());
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
    alarms.sort(java.util.Comparator.comparingLong(DriftSummary::replayPosition));
    double[] split = watch == null ? new double[] {Double.NaN, 0, Double.NaN, 0} : watch.accuracySplit(onset);
    DriftSummary d = new DriftSummary(onset, alarms, split[0], (int) split[1], split[2], (int) split[3]);
    out.println("[8/9] monitor and explain say:");
    if (options.drift() == null) {
      out.printf("  no drift replayed; %d alarms (false alarms expected about once per %s predictions)%n", alarms.size(), "10,000");
    } else {
      out.printf(java.util.Locale.ROOT, "  drift %s began at sample %d; online accuracy %.4f on %d labelled before, %.4f on %d after%n",
          options.drift(), onset, d.accuracyBefore(), d.labelledBefore(), d.accuracyAfter(), d.labelledAfter());
      d.firstAlarmAfterOnset().ifPresentOrElse(
          a -> out.printf(java.util.Locale.ROOT, "  flagged by %s after %d predictions, drift estimated from sample %d (onset %d): statistic %.3f > threshold %.3f%n",
              a.detector(), a.samplesSeen(), DriftSummary.replayPosition(a), onset, a.statistic(), a.threshold()),
          () -> out.println("  the monitor raised no alarm after the onset"));
      alarms.stream().filter(a -> !DriftSummary.afterOnset(a, onset))
          .forEach(a -> out.printf("  false alarm before the drift: %s, estimated from sample %d%n", a.detector(), DriftSummary.replayPosition(a)));
      alarms.stream().filter(a -> DriftSummary.afterOnset(a, onset)).map(DriftReport::detector).distinct()
          .forEach(det -> out.println("  in alarm: " + det));
    }
    if (explain != null) {
      // explanations trail the predictions (gradients, occlusion and SHAP cost milliseconds each)
      pollUntil(Duration.ofSeconds(60), Duration.ofMillis(200),
          () -> explanationCounts().values().stream().mapToDouble(Double::doubleValue).sum() > 0);
    }
    out.println("  explanations (method/trigger): " + explanationCounts() + "; heatmaps in " + heatmapDir());
    out.println("  inference: " + inferenceSummary());
    monitor.view().models().forEach(m -> m.versions().forEach(v -> out.printf(java.util.Locale.ROOT,
        "  %s v%d: realized accuracy (last labelled) %.4f, estimated without labels %.4f%n", m.model(), v.version(),
        v.lastN().accuracy(), v.estimatedAccuracy())));
    return d;
  }

  /**
   * Step 8b (the loop scenario): waits (up to a minute) for the trainer's run to end (kept after
   * its rollback watch, rolled back, refused or abandoned), reads the run log and prints the loop's
   * timeline and the accuracy before the drift, during it and after the swap.
   */
  public LoopSummary awaitLoop(ReplayProducer.Summary sent, DriftSummary drift, int servedBefore) {
    pollUntil(Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
      List<RunTransition> runs = latestRuns();
      return !runs.isEmpty() && runs.stream().allMatch(RunTransition::isTerminal);
    });
    LoopSummary loop = LoopSummary.of(latestRuns(), servedBefore, trainer.servingVersion(), drift.onsetIndex(),
        watch.labelled(), watch.firstIndexByVersion());
    new LoopTimeline(out, topics, MODEL, replayStartMillis, options.rate())
        .print(loop, drift, options.drift(), sent.samples(), sent.elapsed().toMillis());
    return loop;
  }

  /** The latest record of every run on the run log (read_committed), in the order the runs began. */
  public List<RunTransition> latestRuns() {
    Properties p = clientProperties();
    p.put("isolation.level", "read_committed");
    Map<String, RunTransition> latest = new java.util.LinkedHashMap<>();
    try (var runs = new KafkaConsumer<>(p, topics.runs().keySerde().deserializer(), topics.runs().valueSerde().deserializer())) {
      List<TopicPartition> parts = fromTheStart(runs, topics.runs().name());
      Map<TopicPartition, Long> end = runs.endOffsets(parts);
      pollUntil(Duration.ofSeconds(30), Duration.ofMillis(10), () -> {
        for (var r : runs.poll(Duration.ofMillis(100))) {
          RunTransition t = r.value();
          if (t != null) {
            latest.merge(t.runId(), t, (a, b) -> b.seq() >= a.seq() ? b : a);
          }
        }
        return parts.stream().allMatch(tp -> runs.position(tp) >= end.get(tp));
      });
    }
    List<RunTransition> out = new ArrayList<>(latest.values());
    out.sort(java.util.Comparator.comparingLong(r -> r.phaseTimes().getOrDefault(RunPhase.TRIGGERED, r.timestamp())));
    return out;
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
   * scrape: ingest's and the monitor's metrics servers, explain's and inference's HTTP servers, and
   * in the loop scenario the trainer's metrics server.
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
    if (trainerMetricsServer != null) {
      targets.add("127.0.0.1:" + trainerMetricsServer.port());
    }
    return targets;
  }

  /** Prometheus text of this run's metrics (ingest counters etc.). */
  public String scrape() {
    return ingestMetrics.scrape() + inferenceMetrics.scrape() + monitorMetrics.scrape() + explainMetrics.scrape()
        + (trainer == null ? "" : trainerMetrics.scrape());
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
    fromTheStart(c, topic);
    return c;
  }

  /** Assigns every partition of {@code topic} to {@code c} at its beginning; returns them. */
  private static List<TopicPartition> fromTheStart(KafkaConsumer<?, ?> c, String topic) {
    List<TopicPartition> parts = new ArrayList<>();
    c.partitionsFor(topic).forEach(pi -> parts.add(new TopicPartition(topic, pi.partition())));
    c.assign(parts);
    c.seekToBeginning(parts);
    return parts;
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
    if (trainer != null) {
      trainer.close();
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
    for (MetricsServer server : new MetricsServer[] {ingestMetricsServer, monitorMetricsServer, trainerMetricsServer}) {
      if (server != null) {
        server.close();
      }
    }
    if (broker != null) {
      broker.close();
    }
    explainMetrics.close();
    trainerMetrics.close();
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
