package dev.osprey.monitor.service;

import dev.osprey.core.service.Health;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.service.OspreyService;
import dev.osprey.core.service.ServiceStartException;
import dev.osprey.core.service.ShutdownOrder;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.Serdes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code osprey monitor}: drift detectors on each model's prediction stream against the serving
 * version's reference profile, online quality and estimated accuracy per version from outcomes,
 * {@code DriftReport}s on the drift topic, Prometheus metrics. Exactly-once with restarts: see
 * {@link MonitorLoop}. Run one instance per application id (the detectors need the whole stream of
 * a model, so the input partitions are not split between instances).
 *
 * <p>{@link #start()} checks the topics, creates the compacted state topic if missing, fences a
 * previous incarnation ({@code initTransactions}), reads the saved state, and starts the loop and
 * the models-topic follower; {@link #close()} is idempotent.
 */
public final class MonitorService implements OspreyService {
  private static final Logger log = LoggerFactory.getLogger(MonitorService.class);
  /** Longest a transaction may stay open: a model swap may calibrate detectors inside one. */
  static final int TRANSACTION_TIMEOUT_MS = 300_000;

  private final MonitorConfig config;
  private final Topics topics;
  private final MonitorMetrics metrics;
  private final ModelRegistry registry;
  private final KafkaClients clients;
  private final Clock clock;
  private ReferenceCatalog catalog;
  private MonitorLoop loop;
  private ActivationFollower follower;
  private volatile boolean started;
  private volatile boolean closed;

  /**
   * @param meters where the monitor's meters go
   * @param registry the model registry (manifests: reference profiles, labels)
   * @param kafka base client properties (bootstrap.servers, security); overrides {@code config.kafka()}
   */
  public MonitorService(MonitorConfig config, Topics topics, MeterRegistry meters, ModelRegistry registry,
      Properties kafka) {
    this.config = Objects.requireNonNull(config, "config");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.metrics = new MonitorMetrics(Objects.requireNonNull(meters, "meters"));
    this.registry = Objects.requireNonNull(registry, "registry");
    Properties base = config.kafka();
    if (kafka != null) {
      base.putAll(kafka);
    }
    this.clients = new KafkaClients(base);
    this.clock = Clock.systemUTC();
  }

  /** The compacted topic holding each model's saved state. */
  public String stateTopic() {
    return topics.prefix() + config.applicationId() + ".state";
  }

  /** Topics the service reads or writes (except its own state topic, which it creates). */
  public List<Topic<?, ?>> topicsUsed() {
    List<Topic<?, ?>> out = new ArrayList<>(List.of(topics.predictions(), topics.outcomes(), topics.drift(),
        topics.models()));
    if (config.settings().inputSummaries()) {
      out.add(topics.samples());
    }
    return out;
  }

  /**
   * Starts the service and returns once it runs.
   *
   * @throws ServiceStartException naming what is missing or what failed; what was started is closed
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  @Override
  public synchronized void start() throws ServiceStartException {
    if (started || closed) {
      throw new IllegalStateException("MonitorService.start() may be called once, before close()");
    }
    started = true;
    Producer<String, byte[]> producer = null;
    try {
      prepareTopics();
      catalog = new ReferenceCatalog(registry, config.settings().drift());
      producer = clients.transactionalProducer(Serdes.String(), Serdes.ByteArray(),
          config.applicationId() + "-0", config.applicationId() + "-producer",
          Map.of(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TRANSACTION_TIMEOUT_MS));
      // fences a previous incarnation and aborts its open transaction before the state is read
      producer.initTransactions();
      MonitorProcessor processor = new MonitorProcessor(config.settings(), catalog);
      Map<String, ModelStream.State> saved = readState();
      processor.restore(saved.values());
      metrics.publish(processor.view());
      log.info("monitor state restored for {} models from {}", saved.size(), stateTopic());
      // a calibration at a model swap may hold the loop for a while
      Consumer<String, byte[]> consumer = clients.readCommittedConsumer(Serdes.String(), Serdes.ByteArray(),
          config.applicationId(), Map.of(ConsumerConfig.GROUP_ID_CONFIG, config.applicationId(),
              ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, TRANSACTION_TIMEOUT_MS));
      loop = new MonitorLoop(topics, stateTopic(), processor, consumer, producer, metrics, config.commitInterval(),
          clock);
      follower = new ActivationFollower(topics.models().name(), clients.readCommittedConsumer(Serdes.String(),
          Serdes.ByteArray(), config.applicationId() + "-models", Map.of()), catalog, config.startTimeout());
      loop.start(MonitorLoop.inputs(topics, config.settings()));
      follower.startThread("osprey-monitor-models");
      log.info("monitor running: {} -> {} (state in {})", MonitorLoop.inputs(topics, config.settings()),
          topics.drift().name(), stateTopic());
    } catch (ServiceStartException e) {
      closeUnowned(producer);
      throw e;
    } catch (RuntimeException e) {
      closeUnowned(producer);
      throw new ServiceStartException("monitor could not start: " + e, e);
    }
  }

  // Closes what start() made before the loop took the producer over, then the rest.
  private void closeUnowned(Producer<String, byte[]> producer) {
    if (loop == null && producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    close();
  }

  /** Checks the input and output topics exist and creates the state topic if it does not. */
  private void prepareTopics() throws ServiceStartException {
    clients.requireTopics(topicsUsed(), config.startTimeout(), "osprey monitor --create-topics");
    Properties p = clients.base();
    long timeout = config.startTimeout().toMillis();
    p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, timeout));
    try (Admin admin = Admin.create(p)) {
      Set<String> existing = admin.listTopics().names().get(timeout, TimeUnit.MILLISECONDS);
      if (!existing.contains(stateTopic())) {
        NewTopic t = new NewTopic(stateTopic(), Optional.of(1), Optional.empty())
            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try {
          admin.createTopics(List.of(t)).all().get(timeout, TimeUnit.MILLISECONDS);
          log.info("created the monitor's state topic {}", stateTopic());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new ServiceStartException("cannot create " + stateTopic() + " on " + clients.bootstrapServers() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServiceStartException("interrupted while creating " + stateTopic(), e);
    }
  }

  /** The latest committed state of every model (read_committed, from the beginning to the end). */
  private Map<String, ModelStream.State> readState() {
    MonitorStateCodec codec = new MonitorStateCodec();
    Map<String, byte[]> latest = new HashMap<>();
    try (Consumer<String, byte[]> c = clients.readCommittedConsumer(Serdes.String(), Serdes.ByteArray(),
        config.applicationId() + "-restore", Map.of())) {
      List<TopicPartition> partitions = c.partitionsFor(stateTopic(), config.startTimeout()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      c.assign(partitions);
      c.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = c.endOffsets(partitions, config.startTimeout());
      long deadline = System.nanoTime() + config.startTimeout().toNanos();
      while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + stateTopic() + " within " + config.startTimeout());
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.value() == null) {
            latest.remove(r.key());
          } else {
            latest.put(r.key(), r.value());
          }
        }
      }
    }
    Map<String, ModelStream.State> out = new HashMap<>();
    latest.forEach((k, v) -> {
      if (MonitorStateCodec.format(v) == MonitorStateCodec.FORMAT_OUTCOMES_IN_TIME_WINDOW) {
        log.warn("the saved state of model {} in {} is of format {} (before the quality time window was kept as"
            + " per-bucket sums); model {} starts fresh: its detectors reset, its quality figures count from now", k,
            stateTopic(), MonitorStateCodec.FORMAT_OUTCOMES_IN_TIME_WINDOW, k);
      } else {
        out.put(k, codec.decode(v));
      }
    });
    return out;
  }

  /** READY while the loop runs; DOWN with the cause once it stopped. */
  @Override
  public Health health() {
    if (closed) {
      return Health.of(Health.Status.CLOSED);
    }
    MonitorLoop l = loop;
    if (l == null) {
      return Health.of(Health.Status.STARTING);
    }
    return l.isRunning() ? Health.of(Health.Status.READY)
        : new Health(Health.Status.DOWN, "monitor loop stopped: " + l.fatal());
  }

  /** Why the loop stopped, or null. */
  public Throwable failure() {
    return loop == null ? null : loop.fatal();
  }

  /** The figures last committed (what the metrics show). */
  public MonitorView view() {
    return metrics.view();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    ShutdownOrder.close(log, follower, loop, catalog);
  }

}
