package dev.osprey.ingest;

import dev.osprey.core.service.Health;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.service.OspreyService;
import dev.osprey.core.service.ServiceStartException;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link IngestTopology validation topologies} on Kafka Streams, exactly-once
 * ({@code exactly_once_v2}). {@link #start()} returns once the instance is RUNNING or throws with
 * the cause; {@link #close()} is idempotent.
 *
 * <p>{@link #labelJoins} runs the two {@link LabelJoinTopology label joins} instead, as their own
 * Streams application ({@code <application id>-joins}): validation never waits on the joins'
 * state stores and changelogs, and each can be scaled and restarted alone.
 */
public final class IngestService implements OspreyService {
  private static final Logger log = LoggerFactory.getLogger(IngestService.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final IngestConfig config;
  private final Topics topics;
  private final IngestMetrics metrics;
  private final AtomicReference<Throwable> lastFailure = new AtomicReference<>();
  private final UnwritableRecords unwritable = new UnwritableRecords();
  private final StreamThreadWatch threadWatch;
  private volatile KafkaStreams streams;
  private volatile boolean closed;
  private KafkaStreamsMetrics streamsMetrics;
  private final LabelJoinMetrics joinMetrics;
  private final Duration joinWindow;

  /** @param meters where the ingest counters and the Streams client metrics go */
  public IngestService(IngestConfig config, Topics topics, MeterRegistry meters) {
    this(config, topics, meters, null);
  }

  private IngestService(IngestConfig config, Topics topics, MeterRegistry meters, Duration joinWindow) {
    this.config = Objects.requireNonNull(config, "config");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.metrics = new IngestMetrics(Objects.requireNonNull(meters, "meters"));
    this.joinWindow = joinWindow;
    this.joinMetrics = joinWindow == null ? null : new LabelJoinMetrics(meters);
    this.threadWatch = new StreamThreadWatch(meters);
  }

  /**
   * The label joins ({@code samples ⋈ feedback -> labeled}, {@code predictions ⋈ feedback ->
   * outcomes}) as their own Streams application.
   *
   * @param window how long a sample, prediction or label waits for its partner (stream time)
   */
  public static IngestService labelJoins(IngestConfig config, Topics topics, MeterRegistry meters, Duration window) {
    return new IngestService(config, topics, meters, Objects.requireNonNull(window, "window"));
  }

  private boolean joins() {
    return joinWindow != null;
  }

  /** The Streams configuration: the base Kafka properties, then what ingest requires. */
  public Properties streamsConfig() {
    Properties p = config.kafka();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, joins() ? config.applicationId() + "-joins" : config.applicationId());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG,
        (joins() ? config.stateDir().resolve("joins") : config.stateDir()).toAbsolutePath().toString());
    // Streams creates its changelog topic and writes to it at once. With several requests in
    // flight, a first batch refused while the new partition opens and a later one accepted leave
    // the retried first batch failing OUT_OF_ORDER_SEQUENCE_NUMBER (KAFKA-15591) and the task
    // stalled; one request in flight per connection cannot be overtaken. Loopback latency makes
    // the throughput cost small.
    p.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION), "1");
    // The processing exception handler (Streams' default: log and fail) also covers global
    // state, as it will by default from Kafka 5.0; without it Streams warns at every start.
    p.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
    // Streams' partition assignor builds a StreamsConfig of its own from the main consumer's
    // settings, which warns the same unless they carry it too.
    p.putIfAbsent(StreamsConfig.mainConsumerPrefix(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG),
        p.getProperty(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG));
    // Output Kafka refuses for its size: the source record is dead-lettered when read again.
    p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, UnwritableRecordHandler.class);
    p.put(UnwritableRecordHandler.REGISTRY_CONFIG, unwritable);
    return p;
  }

  /**
   * Checks the source topics exist, starts the streams and waits for RUNNING.
   *
   * @throws ServiceStartException when a source topic is missing, the instance goes to ERROR, or
   *     RUNNING is not reached within {@link IngestConfig#startTimeout()}
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  @Override
  public synchronized void start() throws ServiceStartException {
    if (closed || streams != null) {
      throw new IllegalStateException("IngestService.start() may be called once, before close()");
    }
    KafkaClients clients = new KafkaClients(config.kafka());
    clients.requireTopics(
        joins() ? List.of(topics.samples(), topics.feedback(), topics.predictions())
            : List.of(topics.samplesRaw(), topics.feedbackRaw()),
        config.startTimeout(), "osprey ingest serve --create-topics");
    Properties props = streamsConfig();
    StreamsBuilder builder = new StreamsBuilder();
    if (joins()) {
      LabelJoinTopology.build(builder, topics, joinWindow, joinMetrics);
    } else {
      WriteLimits limits = WriteLimits.of(props, topics, clients.maxMessageBytes(
          List.of(topics.samples().name(), topics.feedback().name(), topics.dlq().name()), config.startTimeout()));
      log.info("ingest write limits: {} bytes to {}, {} to {}, {} to {}", limits.samples(), topics.samples().name(),
          limits.feedback(), topics.feedback().name(), limits.dlq(), topics.dlq().name());
      IngestTopology.build(builder, topics, config, metrics, limits, unwritable);
    }
    streams = new KafkaStreams(builder.build(props), props);
    // Kafka Streams' and its clients' own metrics beside Osprey's (closed with the streams)
    streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(metrics.registry());
    CountDownLatch settled = new CountDownLatch(1);
    streams.setStateListener(
        (now, before) -> {
          log.info("ingest streams {} -> {}", before, now);
          if (now == KafkaStreams.State.RUNNING || now == KafkaStreams.State.ERROR
              || now == KafkaStreams.State.PENDING_ERROR || now == KafkaStreams.State.NOT_RUNNING) {
            settled.countDown();
          }
        });
    streams.setUncaughtExceptionHandler(this::onUncaught);
    streams.start();
    boolean done;
    try {
      done = settled.await(config.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new ServiceStartException("interrupted while waiting for ingest to start", e);
    }
    KafkaStreams.State state = streams.state();
    if (!done || state != KafkaStreams.State.RUNNING) {
      Throwable cause = lastFailure.get();
      close();
      throw new ServiceStartException(
          "ingest did not reach RUNNING within " + config.startTimeout() + " (state " + state + ")"
              + (cause == null ? "" : ": " + cause),
          cause);
    }
    log.info("ingest running: {} -> {}, {} -> {}, rejects -> {}",
        topics.samplesRaw().name(), topics.samples().name(),
        topics.feedbackRaw().name(), topics.feedback().name(), topics.dlq().name());
  }

  /**
   * READY when RUNNING; UP while (re)balancing or starting its threads; DOWN on ERROR, and while
   * stream threads keep dying (replaced {@value StreamThreadWatch#DEFAULT_THRESHOLD} times within
   * the watch's window) although the instance still counts as RUNNING.
   */
  @Override
  public Health health() {
    KafkaStreams streams = this.streams;
    if (closed) {
      return Health.of(Health.Status.CLOSED);
    }
    if (streams == null) {
      return Health.of(Health.Status.STARTING);
    }
    Throwable failure = lastFailure.get();
    String dying = threadWatch.failing();
    if (dying != null && streams.state() != KafkaStreams.State.ERROR) {
      return new Health(Health.Status.DOWN, dying);
    }
    return switch (streams.state()) {
      case RUNNING -> Health.of(Health.Status.READY);
      case CREATED, REBALANCING -> new Health(Health.Status.UP, "streams " + streams.state());
      default -> new Health(Health.Status.DOWN, "streams " + streams.state() + (failure == null ? "" : ": " + failure));
    };
  }

  /** The current Streams state, or NOT_RUNNING before start. */
  public KafkaStreams.State state() {
    KafkaStreams s = streams;
    return s == null ? KafkaStreams.State.NOT_RUNNING : s.state();
  }

  // Package-private for its unit test.
  StreamThreadExceptionResponse onUncaught(Throwable e) {
    lastFailure.set(e);
    return threadWatch.onUncaught(e);
  }

  /** Stream threads replaced within the watch's window (a poison record would keep this climbing). */
  public int recentThreadReplacements() {
    return threadWatch.recentReplacements();
  }

  /** Topics the service reads or writes, for callers that create them. */
  public List<Topic<?, ?>> topicsUsed() {
    return joins()
        ? List.of(topics.samples(), topics.feedback(), topics.predictions(), topics.labeled(), topics.outcomes(), topics.dlq())
        : List.of(topics.samplesRaw(), topics.samples(), topics.feedbackRaw(), topics.feedback(), topics.dlq());
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (streamsMetrics != null) {
      streamsMetrics.close();
    }
    if (streams != null) {
      streams.close(CLOSE_TIMEOUT);
    }
  }
}
