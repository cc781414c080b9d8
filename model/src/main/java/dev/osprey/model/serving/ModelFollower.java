package dev.osprey.model.serving;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.service.ClientThreadWork;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelManifest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the compacted models topic on its own thread (no consumer group: every instance reads
 * every activation). On start it reads the topic from the beginning to its end and loads the
 * latest activation of the configured model (the production version); afterwards it handles each
 * new activation as it arrives, the latest of a poll winning. Loading happens here, in the
 * background of the service, which keeps serving the old model until {@link ModelHolder#swap}.
 * A failed load keeps the old model serving; it is logged, counted and kept in the history.
 */
final class ModelFollower extends ClientThreadWork {
  private static final Logger LOG = LoggerFactory.getLogger(ModelFollower.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final String modelName;
  private final String modelsTopic;
  private final EventCodec codec;
  private final Consumer<String, byte[]> consumer;
  private final Duration startTimeout;
  private final ModelLoader loader;
  private final ModelHolder holder;
  private final ServingMetrics metrics;
  private final SwapHistory history;
  private final Clock clock;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  // What an activation must fit while nothing is loaded: set at start (ServingContract), then the
  // manifest of each model swapped in. Used by the follower's thread only.
  private ModelManifest contract;

  /**
   * @param consumer reads {@code modelsTopic} (read_committed, no group); closed by this follower
   * @param startTimeout how long metadata and end-offset lookups may take
   */
  ModelFollower(String modelName, String modelsTopic, EventCodec codec, Consumer<String, byte[]> consumer,
      Duration startTimeout, ModelLoader loader, ModelHolder holder, ServingMetrics metrics, SwapHistory history,
      Clock clock) {
    super(LOG);
    this.modelName = modelName;
    this.modelsTopic = modelsTopic;
    this.codec = codec;
    this.consumer = consumer;
    this.startTimeout = startTimeout;
    this.loader = loader;
    this.holder = holder;
    this.metrics = metrics;
    this.history = history;
    this.clock = clock;
  }

  String modelName() {
    return modelName;
  }

  /** Waits until the topic was read to its end once and its latest activation handled. */
  boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  protected Consumer<?, ?> consumer() {
    return consumer;
  }

  @Override
  protected void cleanup() {
    consumer.close(Duration.ofSeconds(5));
  }

  @Override
  protected void work() {
    List<TopicPartition> partitions = consumer.partitionsFor(modelsTopic, startTimeout).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, startTimeout);
    List<ModelActivation> seen = new ArrayList<>();
    while (running() && !reached(end)) {
      // every activation, not only a poll's newest: the start may fall back to an earlier one
      seen.addAll(activations(consumer.poll(POLL)));
    }
    if (!seen.isEmpty()) {
      applyAtStart(seen);
    } else if (running()) {
      LOG.info("no activation of model '{}' on {} yet: waiting for one (osprey models activate {} VERSION)",
          modelName, modelsTopic, modelName);
    }
    caughtUp.countDown();
    while (running()) {
      List<ModelActivation> polled = activations(consumer.poll(POLL));
      if (!polled.isEmpty()) {
        apply(polled.get(polled.size() - 1)); // the latest of a poll wins
      }
    }
  }

  private boolean reached(Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** The activations of our model among {@code records}, in order; invalid events are counted and skipped. */
  private List<ModelActivation> activations(Iterable<ConsumerRecord<String, byte[]>> records) {
    List<ModelActivation> out = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      if (!modelName.equals(r.key())) {
        continue;
      }
      if (r.value() == null) {
        LOG.warn("tombstone for model '{}' at {}-{}@{}: ignored, the current model keeps serving",
            r.key(), r.topic(), r.partition(), r.offset());
        continue;
      }
      try {
        ModelActivation a = codec.decodeModelActivation(r.value());
        if (!a.modelName().equals(r.key())) {
          throw new InvalidEventException(RejectReason.INVALID_FIELD,
              "record key '" + r.key() + "' differs from modelName '" + a.modelName() + "'");
        }
        out.add(a);
      } catch (InvalidEventException e) {
        LOG.warn("invalid activation at {}-{}@{} skipped: {} ({})", r.topic(), r.partition(), r.offset(),
            e.detail(), e.reason().code());
        record(0, SwapOutcome.INVALID_EVENT, e.detail(), null);
      }
    }
    return out;
  }

  /**
   * Arrives at the model a service running all along would serve: the newest activation that
   * loads and fits the {@link ServingContract} (so one refused while running is refused again),
   * else the newest earlier one that does, so a restart after a refused activation neither serves
   * it nor leaves the instance without a model. Each refusal is logged and counted.
   */
  private void applyAtStart(List<ModelActivation> seen) {
    contract = ServingContract.atStart(loader.registry(), seen).map(c -> {
      LOG.info("activations of model '{}' must fit {}", modelName, c);
      return c.manifest();
    }).orElse(null);
    Set<Integer> tried = new HashSet<>();
    for (int i = seen.size() - 1; i >= 0 && holder.peek() == null && running(); i--) {
      ModelActivation a = seen.get(i);
      if (tried.add(a.version())) {
        if (i < seen.size() - 1) {
          LOG.warn("falling back to the earlier activation of {}:{}", a.modelName(), a.version());
        }
        apply(a);
      }
    }
  }

  private void apply(ModelActivation a) {
    LoadedModel current = holder.peek();
    if (current != null && current.ref().version() == a.version()) {
      record(a.version(), SwapOutcome.UNCHANGED, "", a);
      return;
    }
    long start = System.nanoTime();
    try {
      LoadedModel next = loader.loadFitting(a, current != null ? current.manifest() : contract);
      holder.swap(next);
      contract = next.manifest();
      metrics.serving(next);
      LOG.info("serving {} ({} {}{}) after {} ms; activated by {}: {}", next.ref(), next.runtime(), next.precision(),
          next.fellBack() ? ", fallback from auto" : "", (System.nanoTime() - start) / 1_000_000, a.actor(), a.reason());
      record(a.version(), SwapOutcome.SUCCESS, "", a);
    } catch (ModelLoader.IncompatibleModelException e) {
      LOG.error("activation of {}:{} refused as incompatible, {} keeps serving: {}", a.modelName(), a.version(),
          describe(current), e.getMessage());
      record(a.version(), SwapOutcome.INCOMPATIBLE, e.getMessage(), a);
    } catch (ModelLoadException | RuntimeException e) {
      LOG.error("activation of {}:{} failed, {} keeps serving: {}", a.modelName(), a.version(), describe(current),
          e.getMessage());
      record(a.version(), SwapOutcome.FAILED, e.getMessage() == null ? e.toString() : e.getMessage(), a);
    }
  }

  private static String describe(LoadedModel current) {
    return current == null ? "no model (none loaded yet)" : current.ref().toString();
  }

  private void record(int version, SwapOutcome outcome, String detail, ModelActivation a) {
    metrics.swap(outcome);
    history.add(new SwapHistory.Entry(version, outcome, detail, a, clock.instant()));
  }
}
