package dev.osprey.inference;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.service.Health;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.service.OspreyService;
import dev.osprey.core.service.ServiceStartException;
import dev.osprey.core.service.ShutdownOrder;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ActivationPublisher;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.serving.ModelServing;
import dev.osprey.model.serving.ServingMetrics;
import dev.osprey.model.serving.ServingModel;
import dev.osprey.model.serving.SwapHistory;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inference service: serves the production model through the shared {@link ModelServing}
 * (follows the models topic, hot-swaps without loss), consumes {@code osprey.samples} in a consumer
 * group, predicts in micro-batches and writes {@code osprey.predictions} exactly once; serves HTTP
 * predict/models/health/ready/metrics.
 *
 * <p>{@link #start()} returns once the models topic has been read to its end (and the production
 * model loaded, when one is activated) and the loop and HTTP server run; it throws
 * {@link ServiceStartException} with the cause otherwise. {@link #close()} is idempotent.
 */
public final class InferenceService implements OspreyService {
  private static final Logger LOG = LoggerFactory.getLogger(InferenceService.class);

  private final InferenceConfig config;
  private final ModelRegistry registry;
  private final KafkaClients kafka;
  private final Clock clock;
  private final EventCodec codec = new EventCodec();
  private final Topics topics;
  private final InferenceMetrics metrics;
  private final ServingMetrics servingMetrics;
  private volatile ModelServing serving;
  private volatile PredictionLoop loop;
  private volatile ActivationPublisher publisher;
  private InferenceHttpServer http;
  private boolean started;
  private volatile boolean closed;

  /**
   * @param config validated settings
   * @param topics the topic catalogue (its prefix names the deployment)
   * @param meters where the service's meters go (a Prometheus registry makes {@code /metrics} work)
   * @param registry the model registry versions are loaded from
   * @param kafka client properties: bootstrap.servers plus any security settings
   * @throws IllegalArgumentException if bootstrap.servers is not set
   */
  public InferenceService(InferenceConfig config, Topics topics, MeterRegistry meters, ModelRegistry registry,
      Properties kafka) {
    this(config, topics, meters, registry, kafka, Clock.systemUTC());
  }

  InferenceService(InferenceConfig config, Topics topics, MeterRegistry meters, ModelRegistry registry,
      Properties kafka, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.kafka = new KafkaClients(Objects.requireNonNull(kafka, "kafka"));
    this.clock = clock;
    this.metrics = new InferenceMetrics(Objects.requireNonNull(meters, "meters"));
    this.servingMetrics = new ServingMetrics(meters, InferenceMetrics.PREFIX);
  }

  /**
   * Checks the topics exist, reads the models topic (loading the production model), then starts
   * the prediction loop and the HTTP server.
   *
   * @throws ServiceStartException if a topic is missing, the models topic cannot be read within
   *     {@code startTimeout}, or the HTTP port cannot be bound
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  @Override
  public synchronized void start() throws ServiceStartException {
    if (started || closed) {
      throw new IllegalStateException("InferenceService.start() may be called once, before close()");
    }
    started = true;
    try {
      kafka.requireTopics(topicsUsed(), config.startTimeout(),
          "osprey topics create` or `osprey inference --create-topics");
      serving = ModelServing.create(config.modelName(), config.serving(), registry, topics, kafka,
          config.transactionalId() + "-models", servingMetrics, config.startTimeout(), clock);
      serving.start(config.startTimeout());
      loop = PredictionLoop.create(config, kafka, topics, codec, serving.holder(), metrics, clock);
      loop.startThread("osprey-inference-loop");
      publisher = new ActivationPublisher(registry, topics, kafka.base(), clock);
      if (config.httpPort() >= 0) {
        http = new InferenceHttpServer(config, loop, serving, publisher, this::health, metrics, codec);
        http.start();
      }
    } catch (ServiceStartException e) {
      close();
      throw e;
    } catch (RuntimeException e) {
      close();
      throw new ServiceStartException("inference could not start: " + e.getMessage(), e);
    }
    LOG.info("inference {} running: {} -> {} (dead letters -> {}), model {} from {}{}", config.transactionalId(),
        topics.samples().name(), topics.predictions().name(), topics.dlq().name(),
        serving().map(s -> s.ref().toString()).orElse("'" + config.modelName() + "' (waiting for an activation)"),
        topics.models().name(), http == null ? "" : ", HTTP on " + config.httpHost() + ":" + http.port());
  }

  /** Topics the service reads or writes. */
  public List<Topic<?, ?>> topicsUsed() {
    return List.of(topics.samples(), topics.predictions(), topics.dlq(), topics.models());
  }

  /**
   * Predicts {@code samples} through the same batcher and model as the Kafka path. The future fails
   * with an exception whose message says why: no model yet, a sample that does not fit the model,
   * an engine failure.
   */
  public CompletableFuture<List<Prediction>> predict(List<Sample> samples) {
    PredictionLoop l = loop;
    if (l == null) {
      return CompletableFuture.failedFuture(new PredictRequests.UnavailableException("the service is not running"));
    }
    return l.submit(samples);
  }

  /**
   * Publishes an activation of {@code version} of the served model to the models topic; every
   * instance (this one included) then loads it.
   *
   * @throws ModelLoadException if the registry has no such version
   * @throws ExecutionException if the broker refused the record
   */
  public ModelActivation activate(int version, String actor, String reason)
      throws ModelLoadException, InterruptedException, ExecutionException, TimeoutException {
    ActivationPublisher p = publisher;
    if (p == null) {
      throw new IllegalStateException("the service is not running");
    }
    return p.activate(config.modelName(), version, actor, reason);
  }

  /** The model being served, if one is loaded. */
  public Optional<ServingModel> serving() {
    ModelServing s = serving;
    return s == null ? Optional.empty() : s.current();
  }

  /** Activations handled by this instance, oldest first (the last {@value ModelServing#HISTORY}). */
  public List<SwapHistory.Entry> history() {
    ModelServing s = serving;
    return s == null ? List.of() : s.history();
  }

  /**
   * READY when the loops run, a model is loaded and the sample consumer has subscribed; UP when the
   * loops run but no model is loaded yet; DOWN with the cause when a loop died (a fenced producer).
   */
  @Override
  public Health health() {
    if (closed) {
      return Health.of(Health.Status.CLOSED);
    }
    PredictionLoop l = loop;
    ModelServing s = serving;
    if (l == null || s == null) {
      return Health.of(Health.Status.STARTING);
    }
    if (!l.isRunning() || !s.isRunning()) {
      Throwable t = l.fatal() != null ? l.fatal() : s.fatal();
      return new Health(Health.Status.DOWN, t == null ? "not running" : t.toString());
    }
    return Health.of(s.current().isPresent() && l.isSubscribed() ? Health.Status.READY : Health.Status.UP);
  }

  /** The loops run (a fenced producer or a dead follower makes this false). */
  public boolean isHealthy() {
    return health().live();
  }

  /** Healthy, a model is loaded and the sample consumer has subscribed. */
  public boolean isReady() {
    return health().ready();
  }

  /** The bound HTTP port (useful with port 0), or -1 when HTTP is off. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  public InferenceConfig config() {
    return config;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    ShutdownOrder.close(LOG, http, loop, serving, publisher);
  }
}
