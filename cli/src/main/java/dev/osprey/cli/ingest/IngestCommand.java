package dev.osprey.cli.ingest;

import dev.osprey.cli.CommonOptions;
import dev.osprey.cli.ServiceOptions;
import dev.osprey.core.config.MetricsSettings;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.service.Health;
import dev.osprey.core.service.OspreyService;
import dev.osprey.core.service.ServiceStartException;
import dev.osprey.core.topic.Topics;
import dev.osprey.ingest.IngestConfig;
import dev.osprey.ingest.IngestService;
import dev.osprey.ingest.LabelJoinSettings;
import dev.osprey.ingest.replay.DriftSpec;
import dev.osprey.ingest.replay.ReplayConfig;
import dev.osprey.ingest.replay.ReplayProducer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.Producer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey ingest serve|replay}: parses options and wires the ingest module; nothing more. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Validate raw events into clean topics (serve), or replay a dataset as events (replay).",
    subcommands = {IngestCommand.Serve.class, IngestCommand.Replay.class})
public final class IngestCommand {
  /** Default port of ingest's /metrics endpoint. */
  public static final int DEFAULT_METRICS_PORT = 9401;

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Run the validation topologies (samples.raw -> samples, feedback.raw -> feedback, rejects -> dlq) and the "
          + "label joins (samples + feedback -> labeled, predictions + feedback -> outcomes) until stopped.")
  public static final class Serve implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin ServiceOptions service;

    @Option(names = "--application-id", description = "Kafka Streams application id (ingest.application.id). Default osprey-ingest.")
    String applicationId;

    @Option(names = "--max-sample-bytes", description = "Size limit of one raw event (ingest.max.sample.bytes). Default 524288.")
    Integer maxSampleBytes;

    @Option(names = "--dedupe-window", description = "Duplicate-id window, ISO-8601 (ingest.dedupe.window). Default PT10M.")
    String dedupeWindow;

    @Option(names = "--state-dir", description = "Kafka Streams state directory (ingest.state.dir). Default .osprey/ingest.")
    Path stateDir;

    @Option(names = "--metrics-port", description = "Port of /metrics on metrics.host; 0 = any free port, -1 = off. Default 9401.")
    Integer metricsPort;

    @Option(names = "--no-joins", description = "Do not run the label joins (ingest.joins.enabled=false): no osprey.labeled, no osprey.outcomes.")
    boolean noJoins;

    @Option(names = "--join-window", description = "How long a sample, prediction or label waits for its partner, ISO-8601 (ingest.join.window). Default PT1H.")
    String joinWindow;

    /** The merged config with this command's flags applied as {@code ingest.*} keys. */
    OspreyConfig config() {
      return common.flags()
          .set(IngestConfig.KEY_APPLICATION_ID, applicationId)
          .set(IngestConfig.KEY_MAX_SAMPLE_BYTES, maxSampleBytes)
          .set(IngestConfig.KEY_DEDUPE_WINDOW, dedupeWindow)
          .set(IngestConfig.KEY_STATE_DIR, stateDir)
          .set("metrics.port", metricsPort)
          .set(LabelJoinSettings.KEY_ENABLED, noJoins ? "false" : null)
          .set(LabelJoinSettings.KEY_WINDOW, joinWindow)
          .config();
    }

    IngestConfig ingestConfig(OspreyConfig cfg) {
      return IngestConfig.from(cfg.source(), cfg.kafka().clientProperties());
    }

    LabelJoinSettings joinSettings(OspreyConfig cfg) {
      return LabelJoinSettings.from(cfg.source());
    }

    @Override
    public Integer call() throws Exception {
      OspreyConfig cfg = config();
      IngestConfig ingest = service.parse(() -> ingestConfig(cfg));
      LabelJoinSettings joins = service.parse(() -> joinSettings(cfg));
      Topics topics = service.topics(cfg);
      PrometheusMeterRegistry registry = PrometheusMetrics.newRegistry("ingest");
      // /health follows readiness: a stream thread that keeps dying makes ingest not ready
      service.run("ingest", new ValidationAndJoins(new IngestService(ingest, topics, registry),
              joins.enabled() ? IngestService.labelJoins(ingest, topics, registry, joins.window()) : null),
          registry, MetricsSettings.from(cfg.source(), DEFAULT_METRICS_PORT), Health::ready,
          s -> "ingest running: " + topics.samplesRaw().name() + " -> " + topics.samples().name()
              + ", " + topics.feedbackRaw().name() + " -> " + topics.feedback().name() + ", rejects -> "
              + topics.dlq().name() + (joins.enabled()
                  ? "; label joins (window " + joins.window() + ") -> " + topics.labeled().name() + ", " + topics.outcomes().name()
                  : "; label joins off"));
      return 0;
    }
  }

  @Command(name = "replay", mixinStandardHelpOptions = true,
      description = "Replay a dataset as samples to osprey.samples.raw at a steady rate, with optional drift, feedback and junk.")
  public static final class Replay implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin ServiceOptions service;

    @Option(names = "--dataset", defaultValue = "fixture:train",
        description = "NAME:SPLIT: fixture:train|test (bundled), mnist:train|test, fashion-mnist:train|test. Default ${DEFAULT-VALUE}.")
    String dataset;

    @Option(names = "--rate", defaultValue = "100", description = "Samples per second; 0 = as fast as possible. Default ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--limit", defaultValue = "0", description = "Samples to send (wrapping around the dataset); 0 = the dataset once.")
    int limit;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of every random choice. Default ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--run-id", description = "Sample ids are RUN-INDEX. Default replay-SEED-STARTTIME.")
    String runId;

    @Option(names = "--start-time", description = "Timestamp of sample 0, epoch ms. Default now. Same seed + start time + options = same records, byte for byte.")
    Long startTime;

    @Option(names = "--drift", description = "Shift from an index on, repeatable or comma-separated: rotate:30@5000, noise:0.3@2000, "
        + "invert@8000, blur:1@0, gblur:1.5@0, skew:3=0.5@0, withhold:7@0-5000.")
    List<String> drift = new ArrayList<>();

    @Option(names = "--feedback-fraction", defaultValue = "0", description = "Fraction of samples that also get a true-label Feedback. Default ${DEFAULT-VALUE}.")
    double feedbackFraction;

    @Option(names = "--feedback-delay", defaultValue = "100", description = "Feedback for sample i follows sample i+D (D in samples). Default ${DEFAULT-VALUE}.")
    int feedbackDelay;

    @Option(names = "--junk", defaultValue = "0", description = "Malformed records to mix in, cycling through every reject kind. Default ${DEFAULT-VALUE}.")
    int junk;

    @Option(names = "--junk-too-large-bytes", description = "Padding of the too-large junk; must exceed ingest's size limit. Default 524289.")
    Integer junkTooLargeBytes;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    /**
     * @throws IllegalArgumentException for a bad drift spec or option value
     */
    ReplayConfig replayConfig(long nowMillis) {
      long start = startTime == null ? nowMillis : startTime;
      return new ReplayConfig(
          dataset,
          runId == null ? "replay-" + seed + "-" + start : runId,
          limit,
          rate,
          seed,
          DriftSpec.parseAll(drift),
          feedbackFraction,
          feedbackDelay,
          junk,
          junkTooLargeBytes == null ? ReplayConfig.DEFAULT_JUNK_TOO_LARGE_BYTES : junkTooLargeBytes,
          start,
          !noProgress);
    }

    @Override
    public Integer call() throws Exception {
      OspreyConfig cfg = common.config();
      ReplayConfig replay = service.parse(() -> replayConfig(System.currentTimeMillis()));
      Topics topics = service.topics(cfg);
      ImageDataset data = new Datasets(cfg.paths().dataDir()).load(replay.dataset());
      ReplayProducer.Summary s;
      try (Producer<String, byte[]> producer = ReplayProducer.newKafkaProducer(cfg.kafka().clientProperties(), topics)) {
        s = new ReplayProducer(replay, topics, data).run(producer);
      }
      System.out.println("replayed " + s.samples() + " samples (run " + replay.runId() + ") to " + topics.samplesRaw().name()
          + ", " + s.feedback() + " feedback to " + topics.feedbackRaw().name() + ", " + s.junkTotal() + " junk "
          + junkSummary(s.junk()) + " in " + s.elapsed().toMillis() + " ms");
      return 0;
    }

    private static String junkSummary(Map<dev.osprey.core.event.RejectReason, Integer> junk) {
      StringBuilder b = new StringBuilder("{");
      junk.entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(e -> b.append(b.length() > 1 ? ", " : "").append(e.getKey().code()).append('=').append(e.getValue()));
      return b.append('}').toString();
    }
  }

  /**
   * The validation application and, unless turned off, the label joins' own application, run and
   * stopped as one service: started in that order (a join that cannot start closes validation
   * again), closed in reverse; healthy when both are.
   */
  static final class ValidationAndJoins implements OspreyService {
    private final IngestService validation;
    private final IngestService joins;

    /** @param joins the label joins, or null when they are off */
    ValidationAndJoins(IngestService validation, IngestService joins) {
      this.validation = validation;
      this.joins = joins;
    }

    @Override
    public void start() throws ServiceStartException {
      validation.start();
      if (joins != null) {
        try {
          joins.start();
        } catch (ServiceStartException | RuntimeException e) {
          validation.close();
          throw e;
        }
      }
    }

    /** Validation's health, unless the joins are worse (not live, or not ready). */
    @Override
    public Health health() {
      Health v = validation.health();
      if (joins == null) {
        return v;
      }
      Health j = joins.health();
      if (v.live() && !j.live() || v.ready() && !j.ready()) {
        return new Health(j.status(), "label joins: " + (j.detail().isEmpty() ? j.status() : j.detail()));
      }
      return v;
    }

    @Override
    public void close() {
      if (joins != null) {
        joins.close();
      }
      validation.close();
    }
  }

}
