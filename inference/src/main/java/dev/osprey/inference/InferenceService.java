package dev.osprey.inference;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inference service: follows the models topic and serves the production model (hot-swapped
 * without loss), consumes {@code osprey.samples} in a consumer group, predicts in micro-batches and
 * writes {@code osprey.predictions} exactly once; serves HTTP predict/models/health/ready/metrics.
 *
 * <p>{@link #start()} returns once the models topic has been read to its end (and the production
 * model loaded, when one is activated) and the loop and HTTP server run; it throws
 * {@link InferenceStartException} with the cause otherwise. {@link #close()} is idempotent.
 */
public final class InferenceService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InferenceService.class);
  private static final int HISTORY = 100;

  /**
   * The model being served.
   *
   * @param fallback runtime auto was requested and the CPU runs it
   */
  public record ServingModel(ModelRef ref, String runtime, String requestedRuntime, String precision, boolean fallback,
      Instant loadedAt, ModelActivation activation) {}

  private final InferenceConfig config;
  private final ModelRegistry registry;
  private final Properties kafka;
  private final Clock clock;
  private final EventCodec codec = new EventCodec();
  private final Topics topics;
  private final InferenceMetrics metrics;
  private final ModelHolder holder = new ModelHolder();
  private final SwapHistory history = new SwapHistory(HISTORY);
  private ModelFollower follower;
  private PredictionLoop loop;
  private ActivationPublisher publisher;
  private InferenceHttpServer http;
  private boolean started;
  private boolean closed;

  /**
   * @param config validated settings
   * @param meters where the service's meters go (a Prometheus registry makes {@code /metrics} work)
   * @param registry the model registry versions are loaded from
   * @param kafka client properties: bootstrap.servers plus any security settings
   */
  public InferenceService(InferenceConfig config, MeterRegistry meters, ModelRegistry registry, Properties kafka) {
    this(config, meters, registry, kafka, Clock.systemUTC());
  }

  InferenceService(InferenceConfig config, MeterRegistry meters, ModelRegistry registry, Properties kafka, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.kafka = new Properties();
    this.kafka.putAll(Objects.requireNonNull(kafka, "kafka"));
    if (this.kafka.get("bootstrap.servers") == null) {
      throw new IllegalArgumentException("kafka 'bootstrap.servers' must be set");
    }
    this.clock = clock;
    this.topics = new Topics(config.topicPrefix(), codec);
    this.metrics = new InferenceMetrics(Objects.requireNonNull(meters, "meters"));
  }

  /**
   * Checks the topics exist, reads the models topic (loading the production model), then starts
   * the prediction loop and the HTTP server.
   *
   * @throws InferenceStartException if a topic is missing, the models topic cannot be read within
   *     {@code startTimeout}, or the HTTP port cannot be bound
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  public synchronized void start() throws InferenceStartException {
    if (started || closed) {
      throw new IllegalStateException("InferenceService.start() may be called once, before close()");
    }
    started = true;
    try {
      requireTopics();
      ModelLoader loader = new ModelLoader(config, registry, clock);
      follower = new ModelFollower(config, kafka, topics, codec, loader, holder, metrics, history, clock);
      thread(follower, "osprey-inference-models").start();
      if (!follower.awaitCaughtUp(config.startTimeout())) {
        Throwable cause = follower.fatal();
        throw new InferenceStartException("could not read " + topics.models().name() + " within "
            + config.startTimeout() + (cause == null ? "" : ": " + cause), cause);
      }
      loop = new PredictionLoop(config, kafka, topics, codec, holder, metrics, clock);
      thread(loop, "osprey-inference-loop").start();
      publisher = new ActivationPublisher(registry, topics, codec, kafka, clock);
      if (config.httpPort() >= 0) {
        http = new InferenceHttpServer(config, this, metrics, codec);
        http.start();
      }
    } catch (InferenceStartException e) {
      close();
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new InferenceStartException("interrupted while starting", e);
    } catch (RuntimeException e) {
      close();
      throw new InferenceStartException("inference could not start: " + e.getMessage(), e);
    }
    LOG.info("inference {} running: {} -> {} (dead letters -> {}), model {} from {}{}", config.transactionalId(),
        topics.samples().name(), topics.predictions().name(), topics.dlq().name(),
        serving().map(s -> s.ref().toString()).orElse("'" + config.modelName() + "' (waiting for an activation)"),
        topics.models().name(), http == null ? "" : ", HTTP on " + config.httpHost() + ":" + http.port());
  }

  private static Thread thread(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private void requireTopics() throws InferenceStartException, InterruptedException {
    List<String> needed = topicsUsed().stream().map(Topic::name).toList();
    try (Admin admin = Admin.create(kafka)) {
      Set<String> existing = admin.listTopics().names().get(config.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
      List<String> missing = needed.stream().filter(t -> !existing.contains(t)).toList();
      if (!missing.isEmpty()) {
        throw new InferenceStartException("topics " + missing + " do not exist on " + kafka.get("bootstrap.servers")
            + " (create them first, e.g. with `osprey topics create` or `osprey inference --create-topics`)", null);
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new InferenceStartException("cannot list topics on " + kafka.get("bootstrap.servers") + ": " + e, e);
    }
  }

  /** Topics the service reads or writes. */
  public List<Topic<?, ?>> topicsUsed() {
    return List.of(topics.samples(), topics.predictions(), topics.dlq(), topics.models());
  }

  /**
   * Predicts {@code samples} through the same batcher and model as the Kafka path (HTTP uses
   * this). The future fails with an exception whose message says why: no model yet, a sample that
   * does not fit the model, an engine failure.
   */
  public CompletableFuture<List<Prediction>> predict(List<Sample> samples) {
    PredictionLoop l = loop;
    if (l == null) {
      return CompletableFuture.failedFuture(new PredictionLoop.UnavailableException("the service is not running"));
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
    ModelActivation a = p.activation(config.modelName(), version, actor, reason);
    p.publish(a);
    return a;
  }

  /** The model being served, if one is loaded. */
  public Optional<ServingModel> serving() {
    LoadedModel m = holder.peek();
    return m == null ? Optional.empty() : Optional.of(new ServingModel(m.ref(), m.runtime().configName(),
        m.requestedRuntime().configName(), m.precision(), m.fellBack(), m.loadedAt(), m.activation()));
  }

  /** Activations handled by this instance, oldest first (the last 100). */
  public List<SwapHistory.Entry> history() {
    return history.entries();
  }

  /** The loops run (a fenced producer or a dead follower makes this false). */
  public boolean isHealthy() {
    return loop != null && loop.isRunning() && follower != null && follower.isRunning();
  }

  /** Healthy, a model is loaded and the sample consumer has subscribed. */
  public boolean isReady() {
    return isHealthy() && holder.peek() != null && loop.isSubscribed();
  }

  /** Why the service is unhealthy, or empty. */
  public String problem() {
    Throwable t = loop == null ? null : loop.fatal();
    if (t == null && follower != null) {
      t = follower.fatal();
    }
    return t == null ? (isHealthy() ? "" : "not running") : t.toString();
  }

  /** The bound HTTP port (useful with port 0), or -1 when HTTP is off. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  public InferenceConfig config() {
    return config;
  }

  MeterRegistry meters() {
    return metrics.registry();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (http != null) {
        http.close();
      }
      if (loop != null) {
        loop.stop();
      }
      if (follower != null) {
        follower.stop();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (publisher != null) {
        publisher.close();
      }
      holder.close();
      metrics.serving(null);
    }
  }
}
