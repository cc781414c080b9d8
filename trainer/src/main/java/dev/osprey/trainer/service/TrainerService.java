package dev.osprey.trainer.service;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.RunRequest;
import dev.osprey.core.event.RunTransition;
import dev.osprey.core.service.Health;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.service.OspreyService;
import dev.osprey.core.service.ServiceStartException;
import dev.osprey.core.service.ShutdownOrder;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.trainer.loop.RollbackVerdict;
import dev.osprey.trainer.loop.RunRecovery;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retraining service ({@code osprey trainer}): turns drift reports and labeled feedback into
 * a fine-tuned or re-distilled candidate, gates it against the serving version, activates it on
 * {@code osprey.models} (actor {@value TrainerConfig#ACTOR}, reason = the gate's summary) and rolls
 * it back when its online accuracy disappoints. Its data is the log: {@code osprey.labeled} (the
 * recent window, re-read on start), {@code osprey.drift}, {@code osprey.outcomes},
 * {@code osprey.models}; its state is the run log {@code osprey.runs}. See docs/retraining.md.
 *
 * <p>Threads: the event loop ({@link TrainerEvents}) reads the topics and decides; one run worker
 * ({@link RunExecutor}) trains, publishes, gates and activates, one run at a time.
 *
 * <p>{@link #start()} checks the topics, loads the reference sets, fences a previous incarnation,
 * reads the run log and the models topic, plans the recovery of unfinished runs
 * ({@link RunRecovery}) and starts both threads. {@link #close()} is idempotent: it stops a run in
 * progress within one training batch or one publishing step (nothing is published), waits for the
 * run worker to end, and the next start carries the run on.
 */
public final class TrainerService implements OspreyService {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerService.class);
  /** The longest {@link #close()} waits for the run worker (one batch or one publishing step takes far less). */
  private static final Duration WORKER_JOIN = Duration.ofSeconds(60);

  private final TrainerConfig config;
  private final Topics topics;
  private final ModelRegistry registry;
  private final Datasets datasets;
  private final KafkaClients kafka;
  private final Clock clock;
  private final RunHooks hooks;
  private final TrainerMetrics metrics;
  private volatile TrainerEvents events;
  private RunLog runLog;
  private ExecutorService worker;
  private RunExecutor executor;
  private volatile Throwable fatal;
  private boolean started;
  private volatile boolean closed;

  /**
   * @param config validated settings
   * @param topics the topic catalogue
   * @param meters where the {@code osprey_trainer_*} meters go
   * @param registry the model registry candidates are published to
   * @param kafka client properties: bootstrap.servers plus any security settings
   * @param datasets resolves the reference datasets
   * @throws IllegalArgumentException if bootstrap.servers is not set
   */
  public TrainerService(TrainerConfig config, Topics topics, MeterRegistry meters, ModelRegistry registry,
      Properties kafka, Datasets datasets) {
    this(config, topics, meters, registry, kafka, datasets, Clock.systemUTC(), RunHooks.NONE);
  }

  TrainerService(TrainerConfig config, Topics topics, MeterRegistry meters, ModelRegistry registry, Properties kafka,
      Datasets datasets, Clock clock, RunHooks hooks) {
    this.config = Objects.requireNonNull(config, "config");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.datasets = Objects.requireNonNull(datasets, "datasets");
    this.kafka = new KafkaClients(Objects.requireNonNull(kafka, "kafka"));
    this.clock = clock;
    this.hooks = hooks;
    this.metrics = new TrainerMetrics(Objects.requireNonNull(meters, "meters"));
  }

  /** Topics the service reads or writes. */
  public List<Topic<?, ?>> topicsUsed() {
    return List.of(topics.labeled(), topics.drift(), topics.outcomes(), topics.models(), topics.runs());
  }

  /**
   * @throws ServiceStartException if a topic is missing, a reference dataset cannot be loaded, or
   *     the run log or models topic cannot be read within {@code startTimeout}
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  @Override
  public synchronized void start() throws ServiceStartException {
    if (started || closed) {
      throw new IllegalStateException("TrainerService.start() may be called once, before close()");
    }
    started = true;
    try {
      kafka.requireTopics(topicsUsed(), config.startTimeout(), "osprey topics create` or `osprey trainer --create-topics");
      ImageDataset referenceTrain = load(config.referenceTrain());
      ImageDataset referenceTest = load(config.referenceTest());
      runLog = new RunLog(kafka, topics, config.transactionalId());
      runLog.init();
      List<RunTransition> log = TopicSnapshot.read(kafka, topics.runs(), config.transactionalId() + "-runlog",
          config.startTimeout()).stream().map(ConsumerRecord::value).filter(Objects::nonNull).toList();
      int serving = -1;
      for (ConsumerRecord<String, ModelActivation> r : TopicSnapshot.read(kafka, topics.models(),
          config.transactionalId() + "-models", config.startTimeout())) {
        if (r.value() != null && r.value().modelName().equals(config.modelName())) {
          serving = r.value().version();
        }
      }
      Map<String, Integer> published = publishedByRunId();
      RunRecovery.Plan plan = RunRecovery.recover(log, config.modelName(), serving, config.maxAttempts(), published);
      RunRecovery.Step resume = plan.resume().orElse(null);
      worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "osprey-trainer-run");
        t.setDaemon(true);
        return t;
      });
      TrainerEvents.Worker toWorker = new TrainerEvents.Worker() {
        @Override
        public void start(RunRequest request, int champion, List<LabeledSample> window) {
          submit(() -> executor.start(request, champion, window));
        }

        @Override
        public void resume(RunRecovery.Step step, List<LabeledSample> window) {
          submit(() -> executor.resume(step, window, published.get(step.run().runId())));
        }

        @Override
        public void verdict(RunTransition activated, RollbackVerdict verdict) {
          submit(() -> executor.verdict(activated, verdict));
        }
      };
      events = new TrainerEvents(config, kafka, topics, clock, metrics, toWorker, plan.runs(), resume);
      executor = new RunExecutor(config, registry, datasets, referenceTrain, referenceTest, runLog, clock, metrics, hooks,
          events.listener(), events::servingVersion, () -> closed, plan.promotedStrategies());
      for (RunRecovery.Step s : plan.steps()) {
        if (s != resume) {
          submit(() -> executor.resume(s, List.of(), null)); // superseded: abandoned
        }
      }
      events.startThread("osprey-trainer-events");
      LOG.info("trainer {} running for model '{}': {} runs in {}, serving v{}{}", config.transactionalId(),
          config.modelName(), plan.runs().size(), topics.runs().name(), serving,
          resume == null ? "" : ", carrying on run " + resume.run().runId() + " (" + resume.action() + ")");
    } catch (ServiceStartException e) {
      close();
      throw e;
    } catch (RuntimeException e) {
      close();
      throw new ServiceStartException("trainer could not start: " + e.getMessage(), e);
    }
  }

  private ImageDataset load(String spec) throws ServiceStartException {
    try {
      return datasets.load(spec);
    } catch (IOException | IllegalArgumentException e) {
      throw new ServiceStartException("reference dataset " + spec + ": " + e.getMessage(), e);
    }
  }

  /** Registry versions of the model by the run that published them (recorded in their hyperparameters). */
  private Map<String, Integer> publishedByRunId() {
    Map<String, Integer> out = new HashMap<>();
    for (int v : registry.versions(config.modelName())) {
      try {
        Object id = registry.manifest(config.modelName(), v).architecture().hyperparameters()
            .get(CandidateTraining.MANIFEST_RUN_ID);
        if (id != null) {
          out.put(id.toString(), v);
        }
      } catch (ModelLoadException e) {
        LOG.warn("cannot read the manifest of {}:{}: {}", config.modelName(), v, e.getMessage());
      }
    }
    return out;
  }

  /** One task on the run worker. An exception gives the run up; an Error stops the worker (as a crash would). */
  private void submit(RunTask task) {
    worker.execute(() -> {
      if (fatal != null || closed) {
        return;
      }
      try {
        task.run();
      } catch (Exception e) {
        if (closed) {
          LOG.info("run stopped by close() ({}); the next start carries it on", e.getMessage());
        } else {
          LOG.error("run failed", e);
          try {
            executor.abandonCurrent("failed: " + e);
          } catch (RuntimeException again) {
            fatal = again;
            LOG.error("cannot record the failure; the trainer stops", again);
          }
        }
      } catch (Error e) {
        fatal = e;
        LOG.error("run worker died", e);
      }
    });
  }

  @FunctionalInterface
  private interface RunTask {
    void run() throws Exception;
  }

  /**
   * READY when the log has been read to its end and a version serves; UP while reading or without
   * a serving version; DOWN with the cause when the event loop or the run worker died.
   */
  @Override
  public Health health() {
    if (closed) {
      return Health.of(Health.Status.CLOSED);
    }
    TrainerEvents e = events;
    if (e == null) {
      return Health.of(Health.Status.STARTING);
    }
    Throwable t = fatal != null ? fatal : e.fatal();
    if (t != null || !e.isRunning()) {
      return new Health(Health.Status.DOWN, t == null ? "event loop stopped" : t.toString());
    }
    return Health.of(e.caughtUp() && e.servingVersion() > 0 ? Health.Status.READY : Health.Status.UP);
  }

  /** The serving version as last read from the models topic; -1 before any. */
  public int servingVersion() {
    TrainerEvents e = events;
    return e == null ? -1 : e.servingVersion();
  }

  public TrainerConfig config() {
    return config;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    long t0 = System.nanoTime();
    closed = true;
    ExecutorService w = worker;
    // the run worker sees `closed` through its cancellation: training stops before its next batch,
    // publishing before its next step. Wait for it: a process that exits while libtorch computes
    // can crash in native code, and the run log must not close under a write.
    ShutdownOrder.close(LOG, events, w == null ? null : () -> {
      w.shutdownNow();
      if (!w.awaitTermination(WORKER_JOIN.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("the run worker did not stop within {}; closing without it", WORKER_JOIN);
      } else {
        LOG.info("run worker stopped {} ms after close()", (System.nanoTime() - t0) / 1_000_000);
      }
    }, runLog);
  }
}
