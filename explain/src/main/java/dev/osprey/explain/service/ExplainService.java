package dev.osprey.explain.service;

import dev.osprey.core.event.Sample;
import dev.osprey.core.service.Health;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.service.OspreyService;
import dev.osprey.core.service.ServiceStartException;
import dev.osprey.core.service.ShutdownOrder;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.Method;
import dev.osprey.explain.sampling.CpuBudget;
import dev.osprey.explain.sampling.SamplingPolicy;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.serving.LoadedModel;
import dev.osprey.model.serving.ModelServing;
import dev.osprey.model.serving.ServingMetrics;
import dev.osprey.model.serving.ServingModel;
import dev.osprey.model.serving.ServingOptions;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The explain service: follows {@code osprey.models} with the shared {@link ModelServing} (the
 * activated version is loaded, verified and warmed up as in inference), reads predictions (plus
 * outcomes and drift reports for the rules), reads the sample of each prediction it explains at the
 * position the prediction names ({@link SampleLookup}), explains the predictions the
 * {@link SamplingPolicy} chooses with the exact version that made each of them (the serving one
 * from the follower, older or newer ones opened from the registry into a small bounded cache),
 * writes {@code Explanation} events to {@code osprey.explanations} and PNG heatmaps to a directory,
 * and answers HTTP requests ({@link ExplainHttpServer}).
 */
public final class ExplainService implements OspreyService, ExplainHttpServer.Backend {
  private static final Logger LOG = LoggerFactory.getLogger(ExplainService.class);
  public static final String METER_PREFIX = "osprey.explain";
  // a sample lookup's fetch: a few record batches of ~1 KB samples, not the 1 MiB default
  private static final int LOOKUP_FETCH_BYTES = 64 * 1024;
  // how long a lookup waits for its record (a broker restart) before the sample counts as missing
  private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(30);

  private final ExplainConfig config;
  private final Topics topics;
  private final MeterRegistry meters;
  private final ModelRegistry registry;
  private final KafkaClients kafka;
  private final Clock clock;
  private final ExplainMetrics metrics;
  private final ExplanationStore store;
  private volatile ModelServing serving;
  private volatile ExplainLoop loop;
  private volatile SamplingPolicy policy;
  private ExplainHttpServer http;
  private boolean started;
  private volatile boolean closed;

  /**
   * @param kafka client properties: bootstrap.servers plus any security settings
   * @throws IllegalArgumentException if bootstrap.servers is not set
   */
  public ExplainService(ExplainConfig config, Topics topics, MeterRegistry meters, ModelRegistry registry,
      Properties kafka) {
    this(config, topics, meters, registry, kafka, Clock.systemUTC());
  }

  ExplainService(ExplainConfig config, Topics topics, MeterRegistry meters, ModelRegistry registry, Properties kafka,
      Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.meters = Objects.requireNonNull(meters, "meters");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.kafka = new KafkaClients(Objects.requireNonNull(kafka, "kafka"));
    this.clock = clock;
    this.metrics = new ExplainMetrics(meters);
    this.store = new ExplanationStore(config.storedExplanations());
  }

  /**
   * Checks the topics, reads the models topic (loading the production model), then starts the
   * worker and the HTTP server.
   *
   * @throws ServiceStartException if a topic is missing, the models topic cannot be read in time,
   *     the heatmap directory cannot be created or the HTTP port cannot be bound
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  @Override
  public synchronized void start() throws ServiceStartException {
    if (started || closed) {
      throw new IllegalStateException("ExplainService.start() may be called once, before close()");
    }
    started = true;
    String clientId = config.groupId() + "-" + config.instanceId();
    try {
      kafka.requireTopics(topicsUsed(), config.startTimeout(), "osprey topics create");
      HeatmapStore heatmaps = config.heatmapDir() == null ? null
          : new HeatmapStore(config.heatmapDir(), config.heatmapKeep());
      // the follower loads the served graph as inference does (the precision plan auto picks for this
      // host, ONNX Runtime CPU, verified, warmed up)
      serving = ModelServing.create(config.modelName(), ServingOptions.cpuAuto(64, ".osprey/tensorrt-cache"),
          registry, topics, kafka, clientId + "-models", new ServingMetrics(meters, METER_PREFIX),
          config.startTimeout(), clock);
      serving.start(config.startTimeout());
      policy = new SamplingPolicy(config.sampling(), config.modelName());
      metrics.budget(config.budget().cores());
      VersionCache versions = new VersionCache(config.versionCache(), this::openVersion);
      SampleExplainer explainer =
          new SampleExplainer(config.modelName(), config.methods(), config.topFeatures(), versions, metrics, clock);
      loop = new ExplainLoop(topics,
          kafka.readCommittedConsumer(Serdes.String(), Serdes.ByteArray(), clientId, Map.of(
              ConsumerConfig.GROUP_ID_CONFIG, config.groupId(),
              ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, config.autoOffsetReset(),
              ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500)),
          sampleLookup(clientId + "-samples"),
          kafka.idempotentProducer(topics.explanations(), clientId, Map.of()),
          policy, config.sampleBuffer(), config.waitingBuffer(), explainer, versions, store, heatmaps, metrics,
          this::servingVersion, new CpuBudget(config.budget()), ThreadCpu.current(),
          System::nanoTime);
      loop.startThread("osprey-explain-loop");
      if (config.httpPort() >= 0) {
        http = new ExplainHttpServer(config, this);
        http.start();
      }
    } catch (ServiceStartException e) {
      close();
      throw e;
    } catch (IOException | RuntimeException e) {
      close();
      throw new ServiceStartException("explain could not start: " + e.getMessage(), e);
    }
    LOG.info("explain {} running: {} (+ {} by position, {}, {}) -> {}, methods {}, {} per second + rules, model {}{}{}", clientId,
        topics.predictions().name(), topics.samples().name(), topics.outcomes().name(), topics.drift().name(),
        topics.explanations().name(), config.methods(), config.sampling().ratePerSecond(),
        serving().map(s -> s.ref().toString()).orElse("'" + config.modelName() + "' (waiting for an activation)"),
        config.heatmapDir() == null ? "" : ", heatmaps in " + config.heatmapDir(),
        http == null ? "" : ", HTTP on " + config.httpHost() + ":" + http.port());
  }

  /**
   * Reads the sample of each prediction explained, by the position the prediction names: no group,
   * small fetches (a lookup wants one record of ~1 KB), a gone position failing at once.
   */
  private SampleLookup sampleLookup(String clientId) {
    Consumer<String, byte[]> consumer = kafka.readCommittedConsumer(Serdes.String(), Serdes.ByteArray(), clientId, Map.of(
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, LOOKUP_FETCH_BYTES,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, LOOKUP_FETCH_BYTES,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 64));
    return new SampleLookup(consumer, topics.samples().name(), LOOKUP_TIMEOUT, () -> !closed);
  }

  /**
   * Opens a version for explaining: the follower's loaded model when it is that version (its
   * served graph is shared and stays alive, retained, while this runtime is cached, so the
   * predictions of a version that was just swapped out are still explained by it), else the
   * version from the registry.
   */
  private VersionRuntime openVersion(int version) throws ModelLoadException {
    LoadedModel current = serving.holder().acquire();
    if (current != null && current.ref().version() == version) {
      return VersionRuntime.withTwin(registry.load(config.modelName(), version), current.predictor(), current::release,
          current.precision(), config.methodSettings());
    }
    if (current != null) {
      current.release();
    }
    return VersionRuntime.open(registry.load(config.modelName(), version), config.methodSettings(), 1);
  }

  private int servingVersion() {
    ModelServing s = serving;
    LoadedModel m = s == null ? null : s.holder().peek();
    return m == null ? 0 : m.ref().version();
  }

  /** Topics the service reads or writes. */
  public List<Topic<?, ?>> topicsUsed() {
    return List.of(topics.samples(), topics.predictions(), topics.outcomes(), topics.drift(), topics.explanations(),
        topics.models());
  }

  @Override
  public CompletableFuture<SampleExplainer.Result> explain(Sample sample, int version, List<Method> methods) {
    ExplainLoop l = loop;
    if (l == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("the service is not running"));
    }
    return l.request(sample, version, methods);
  }

  @Override
  public ExplanationStore store() {
    return store;
  }

  @Override
  public String problem() {
    Health h = health();
    return h.live() ? null : h.status() + (h.detail().isEmpty() ? "" : ": " + h.detail());
  }

  @Override
  public MeterRegistry meters() {
    return meters;
  }

  /** The policy's decisions so far (null before start). */
  public SamplingPolicy policy() {
    return policy;
  }

  /** The model the follower serves now, if one is loaded. */
  public Optional<ServingModel> serving() {
    ModelServing s = serving;
    return s == null ? Optional.empty() : s.current();
  }

  /** The bound HTTP port (with port 0), or -1 when HTTP is off. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /** READY when the worker and the follower run and a model is loaded; UP without a model; DOWN with the cause. */
  @Override
  public Health health() {
    if (closed) {
      return Health.of(Health.Status.CLOSED);
    }
    ExplainLoop l = loop;
    ModelServing s = serving;
    if (l == null || s == null) {
      return Health.of(Health.Status.STARTING);
    }
    if (!l.isRunning() || !s.isRunning()) {
      Throwable t = l.fatal() != null ? l.fatal() : s.fatal();
      return new Health(Health.Status.DOWN, t == null ? "not running" : t.toString());
    }
    return Health.of(s.current().isPresent() ? Health.Status.READY : Health.Status.UP);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    ShutdownOrder.close(LOG, http, loop, serving);
  }
}
