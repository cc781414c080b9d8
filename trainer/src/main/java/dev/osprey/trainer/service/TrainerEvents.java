package dev.osprey.trainer.service;

import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.RunRequest;
import dev.osprey.core.event.RunTransition;
import dev.osprey.core.service.ClientThreadWork;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.trainer.loop.LabeledWindow;
import dev.osprey.trainer.loop.OutcomeWindow;
import dev.osprey.trainer.loop.RollbackVerdict;
import dev.osprey.trainer.loop.RollbackWatch;
import dev.osprey.trainer.loop.RunRecovery;
import dev.osprey.trainer.loop.TriggerPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serdes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's event loop, on one thread: re-reads {@code osprey.labeled}, {@code osprey.drift},
 * {@code osprey.outcomes} and {@code osprey.models} from the beginning (the log is the only store),
 * then follows them. It owns the recent labeled window, the {@link TriggerPolicy}, the online
 * accuracy per version and the rollback watch; runs themselves happen on the worker
 * ({@link Worker}), which reports back through {@link #listener()}.
 *
 * <p>Restart rules: a request whose id is already in the run log is not started again (a finished
 * one only starts the cooldown, the recovered one is the run in flight); new requests, and the
 * recovered run's next step, wait until the topics have been read to the end offsets seen on start,
 * so they train on the whole window.
 */
final class TrainerEvents extends ClientThreadWork {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerEvents.class);
  private static final int VERSIONS_KEPT = 4;

  /** The run worker, as the event loop sees it: each call queues work on the worker thread. */
  interface Worker {
    void start(RunRequest request, int champion, List<LabeledSample> window);

    void resume(RunRecovery.Step step, List<LabeledSample> window);

    void verdict(RunTransition activated, RollbackVerdict verdict);
  }

  private final TrainerConfig config;
  private final KafkaClients kafka;
  private final Topics topics;
  private final TrainerMetrics metrics;
  private final Worker worker;
  private final TriggerPolicy policy;
  private final LabeledWindow window;
  private final Map<Integer, OutcomeWindow> online = new LinkedHashMap<>(8, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Integer, OutcomeWindow> eldest) {
      return size() > VERSIONS_KEPT;
    }
  };
  private final Map<String, RunTransition> knownRuns;
  private final Queue<Runnable> inbox = new ConcurrentLinkedQueue<>();
  private final RunExecutor.Listener listener;
  private RunRecovery.Step recovered;
  private RunRequest pending;
  private RunTransition watched;
  private RollbackWatch watch;
  private volatile int servingVersion = -1;
  private volatile boolean caughtUp;
  private volatile Consumer<String, byte[]> consumer;

  TrainerEvents(TrainerConfig config, KafkaClients kafka, Topics topics, Clock clock, TrainerMetrics metrics, Worker worker,
      Map<String, RunTransition> knownRuns, RunRecovery.Step recovered) {
    super(LOG);
    this.config = config;
    this.kafka = kafka;
    this.topics = topics;
    this.metrics = metrics;
    this.worker = worker;
    this.policy = new TriggerPolicy(config.trigger(), clock);
    this.window = new LabeledWindow(config.data().windowCapacity());
    this.knownRuns = new LinkedHashMap<>(knownRuns);
    this.recovered = recovered;
    this.listener = new RunExecutor.Listener() {
      @Override
      public void finished(RunTransition last) {
        inbox.add(() -> onFinished(last));
      }

      @Override
      public void watching(RunTransition activated) {
        inbox.add(() -> startWatch(activated));
      }
    };
    this.consumer = kafka.readCommittedConsumer(Serdes.String(), Serdes.ByteArray(),
        config.transactionalId() + "-events", Map.of());
  }

  /** Where the worker reports finished runs and activations. */
  RunExecutor.Listener listener() {
    return listener;
  }

  /** The serving version as last read from the models topic; -1 before any activation. */
  int servingVersion() {
    return servingVersion;
  }

  /** Whether the topics have been read up to the end offsets seen on start. */
  boolean caughtUp() {
    return caughtUp;
  }

  @Override
  protected Consumer<?, ?> consumer() {
    return consumer;
  }

  @Override
  protected void work() throws Exception {
    List<TopicPartition> parts = new ArrayList<>();
    for (Topic<?, ?> t : List.of(topics.labeled(), topics.drift(), topics.outcomes(), topics.models())) {
      parts.addAll(TopicSnapshot.partitions(consumer, t.name(), config.startTimeout()));
    }
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    Map<TopicPartition, Long> end = consumer.endOffsets(parts, config.startTimeout());
    if (recovered != null) {
      policy.runResumed(recovered.run().runId());
      if (recovered.action() == RunRecovery.Action.RESUME_WATCH) {
        startWatch(recovered.run());
        recovered = null;
      }
    }
    while (running()) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(config.tick())) {
        dispatch(r);
      }
      for (Runnable m; (m = inbox.poll()) != null; ) {
        m.run();
      }
      if (!caughtUp && TopicSnapshot.caughtUp(consumer, end)) {
        caughtUp = true;
        LOG.info("read the log to its end: {} labels in the window, serving v{}", window.size(), servingVersion);
        if (recovered != null) {
          worker.resume(recovered, window.samples());
          recovered = null;
        }
      }
      handle(policy.onTick());
      if (caughtUp && pending != null && servingVersion > 0) {
        RunRequest r = pending;
        pending = null;
        worker.start(r, servingVersion, window.samples());
      }
    }
  }

  private void dispatch(ConsumerRecord<String, byte[]> r) {
    String topic = r.topic();
    try {
      if (topic.equals(topics.labeled().name())) {
        LabeledSample s = decode(topics.labeled(), r);
        window.add(s);
        metrics.windowSize(window.size());
        handle(policy.onLabeled(s));
      } else if (topic.equals(topics.drift().name())) {
        handle(policy.onDrift(decode(topics.drift(), r)));
      } else if (topic.equals(topics.outcomes().name())) {
        onOutcome(decode(topics.outcomes(), r));
      } else if (topic.equals(topics.models().name())) {
        ModelActivation a = decode(topics.models(), r);
        if (a != null && a.modelName().equals(config.modelName())) {
          servingVersion = a.version();
          metrics.servingVersion(a.version());
          policy.onServingVersion(a.version());
        }
      }
    } catch (SerializationException e) {
      metrics.skippedRecord();
      LOG.warn("skipping {}-{}@{}: {}", topic, r.partition(), r.offset(), e.getMessage());
    }
  }

  private void onOutcome(Outcome o) {
    if (o.modelName().equals(config.modelName())) {
      online.computeIfAbsent(o.modelVersion(), v -> new OutcomeWindow(config.rollback().outcomes())).add(o.correct());
      if (watched != null && o.modelVersion() == watched.candidateVersion()) {
        if (watch == null) {
          watch = newWatch(watched);
        }
        Optional<RollbackVerdict> v = watch.onOutcome(o);
        if (v.isPresent()) {
          RunTransition run = watched;
          watched = null;
          watch = null;
          worker.verdict(run, v.get());
        }
      }
    }
    handle(policy.onOutcome(o));
  }

  /**
   * The watch's baseline is the champion's online accuracy over its last K outcomes, taken when the
   * promoted version's first outcome arrives; the gate's held-out accuracy of the champion when the
   * champion has no outcomes.
   */
  private RollbackWatch newWatch(RunTransition run) {
    OutcomeWindow champion = online.get(run.championVersion());
    if (champion != null && champion.count() > 0) {
      return RollbackWatch.fromWindow(config.rollback(), config.modelName(), run.candidateVersion(),
          run.championVersion(), champion);
    }
    Map<String, Double> g = run.gate().figures();
    int n = Math.max(1, g.getOrDefault("gate.heldOut.count", 0.0).intValue());
    int correct = (int) Math.round(g.getOrDefault("gate.heldOut.championAccuracy", 0.0) * n);
    return new RollbackWatch(config.rollback(), config.modelName(), run.candidateVersion(), run.championVersion(),
        correct, n);
  }

  private void startWatch(RunTransition activated) {
    watched = activated;
    watch = null;
    knownRuns.put(activated.runId(), activated);
  }

  private void onFinished(RunTransition last) {
    knownRuns.put(last.runId(), last);
    if (watched != null && watched.runId().equals(last.runId())) {
      watched = null;
      watch = null;
    }
    if (policy.runInFlight().filter(last.runId()::equals).isPresent()) {
      policy.runFinished(last.runId(), last.timestamp());
    }
  }

  private void handle(Optional<RunRequest> request) {
    if (request.isEmpty()) {
      return;
    }
    RunRequest r = request.get();
    RunTransition known = knownRuns.get(r.runId());
    if (known != null) {
      // derived again from the re-read log: never started twice
      if (known.isTerminal()) {
        policy.runFinished(r.runId(), known.timestamp());
      }
      return;
    }
    LOG.info("run {} requested: {}", r.runId(), r.reason());
    pending = r; // started once the log is read to its end and a version serves
    knownRuns.put(r.runId(), RunTransition.triggered(r, config.modelName(), Math.max(1, servingVersion), r.requestedAt()));
  }

  private static <V> V decode(Topic<String, V> topic, ConsumerRecord<String, byte[]> r) {
    return topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
  }

  @Override
  protected void cleanup() {
    consumer.close(Duration.ofSeconds(5));
  }
}
