package dev.osprey.model.serving;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.service.ServiceStartException;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Serving one model in any service: follows the models topic, loads + verifies + warms up each
 * activation of {@code modelName} in the service's own runtime ({@link ServingOptions}), swaps it in
 * atomically (a batch holds its model until it is done; the old one closes after its last batch)
 * and keeps a history. The service takes models from {@link #holder()}.
 *
 * <pre>{@code
 * ModelServing serving = ModelServing.create("digits", options, registry, topics, kafka, "explain-0-models",
 *     new ServingMetrics(meters, "osprey.explain"), Clock.systemUTC());
 * serving.start(Duration.ofSeconds(60));   // production model loaded, if one is activated
 * LoadedModel m = serving.holder().acquire();
 * try { ... m.predictor() ... } finally { m.release(); }
 * }</pre>
 */
public final class ModelServing implements AutoCloseable {
  /** Activations kept for {@link #history()}. */
  public static final int HISTORY = 100;

  private final ModelHolder holder = new ModelHolder();
  private final SwapHistory history = new SwapHistory(HISTORY);
  private final ServingMetrics metrics;
  private final ModelFollower follower;
  private final String modelsTopic;
  private boolean started;
  private boolean closed;

  /**
   * @param modelsConsumer reads the models topic (read_committed, no group); closed by this object
   * @param startTimeout how long metadata and end-offset lookups of the models topic may take
   */
  public ModelServing(String modelName, ServingOptions options, ModelRegistry registry, Topics topics,
      Consumer<String, byte[]> modelsConsumer, ServingMetrics metrics, Duration startTimeout, Clock clock) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.modelsTopic = topics.models().name();
    ModelLoader loader = new ModelLoader(options, registry, clock);
    this.follower = new ModelFollower(modelName, modelsTopic, new EventCodec(), modelsConsumer, startTimeout, loader,
        holder, metrics, history, clock);
  }

  /** With a read_committed consumer of the models topic from {@code kafka}, named {@code clientId}. */
  public static ModelServing create(String modelName, ServingOptions options, ModelRegistry registry, Topics topics,
      KafkaClients kafka, String clientId, ServingMetrics metrics, Duration startTimeout, Clock clock) {
    Consumer<String, byte[]> consumer = kafka.readCommittedConsumer(Serdes.String(), Serdes.ByteArray(), clientId, Map.of());
    return new ModelServing(modelName, options, registry, topics, consumer, metrics, startTimeout, clock);
  }

  /**
   * Starts following on its own thread; returns once the models topic was read to its end and the
   * production model (the latest loadable activation) serves, if there is one.
   *
   * @throws ServiceStartException if the topic is not read within {@code timeout}
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  public synchronized void start(Duration timeout) throws ServiceStartException {
    if (started || closed) {
      throw new IllegalStateException("ModelServing.start() may be called once, before close()");
    }
    started = true;
    follower.startThread("osprey-models-" + follower.modelName());
    try {
      if (!follower.awaitCaughtUp(timeout)) {
        Throwable cause = follower.fatal();
        throw new ServiceStartException("could not read " + modelsTopic + " within " + timeout
            + (cause == null ? "" : ": " + cause), cause);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServiceStartException("interrupted while reading " + modelsTopic, e);
    }
  }

  /** The current model: acquire and release it around each use. */
  public ModelHolder holder() {
    return holder;
  }

  /** The model serving now, if one is loaded. */
  public Optional<ServingModel> current() {
    LoadedModel m = holder.peek();
    return m == null ? Optional.empty() : Optional.of(ServingModel.of(m));
  }

  /** Activations handled, oldest first (the last {@value #HISTORY}). */
  public List<SwapHistory.Entry> history() {
    return history.entries();
  }

  /** The follower runs (false once it failed or was closed). */
  public boolean isRunning() {
    return follower.isRunning();
  }

  /** Why the follower stopped, or null. */
  public Throwable fatal() {
    return follower.fatal();
  }

  /** Stops following and drops the current model (it closes after its last batch). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      follower.stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      holder.close();
      metrics.serving(null);
    }
  }
}
