package dev.osprey.inference;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Inference meters on a registry passed in; one name prefix ({@code osprey.inference}), base units
 * (seconds), low-cardinality tags (model version, label, outcome, reason). In Prometheus:
 *
 * <ul>
 *   <li>{@code osprey_inference_preprocess_latency_seconds}: parsing, validating and normalizing one
 *       batch's samples;
 *   <li>{@code osprey_inference_model_latency_seconds{model_version}}: one model call (a batch);
 *   <li>{@code osprey_inference_model_cpu_seconds_total}: CPU time of the calling thread during
 *       the model calls on a CPU runtime (not TensorRT's, which wait for the GPU); below the calls'
 *       wall time (the latency's {@code _sum}) the thread was waiting for a core, i.e. the host is
 *       oversubscribed. Counts the calling thread only (with more than one intra-op thread, the
 *       pool's share is not in it); absent where the JVM cannot read thread CPU time;
 *   <li>{@code osprey_inference_postprocess_latency_seconds}: logits to predictions (softmax, label,
 *       record) for one model call;
 *   <li>{@code osprey_inference_transaction_latency_seconds}: encoding and writing one transaction's
 *       predictions and dead letters and committing it with its offsets (the broker's round trips);
 *   <li>{@code osprey_inference_end_to_end_latency_seconds{model_version}}: sample timestamp to
 *       committed prediction;
 *   <li>{@code osprey_inference_batch_size_samples}: samples per model call;
 *   <li>{@code osprey_inference_predictions_total{model_version,label}};
 *   <li>{@code osprey_inference_confidence{model_version}}: top-class probability;
 *   <li>{@code osprey_inference_model_info} and {@code osprey_inference_model_swaps_total{outcome}}: the
 *       shared {@link dev.osprey.model.serving.ServingMetrics} under {@link #PREFIX};
 *   <li>{@code osprey_inference_dead_letters_total{reason}};
 *   <li>{@code osprey_inference_transactions_total{outcome}};
 *   <li>{@code osprey_inference_consumer_lag_records}: records behind the end of the assigned partitions;
 *   <li>{@code osprey_inference_http_requests_total{route,status}};
 *   <li>{@code osprey_inference_start_to_first_prediction_seconds}: from the process's start (the
 *       JVM's) to the first committed transaction with a prediction; absent until then.
 * </ul>
 *
 * Thread-safe.
 */
public final class InferenceMetrics {
  /** Name prefix of every inference meter. */
  public static final String PREFIX = "osprey.inference";
  public static final String PREPROCESS_LATENCY = "osprey.inference.preprocess.latency";
  public static final String MODEL_LATENCY = "osprey.inference.model.latency";
  public static final String MODEL_CPU = "osprey.inference.model.cpu";
  public static final String POSTPROCESS_LATENCY = "osprey.inference.postprocess.latency";
  public static final String TRANSACTION_LATENCY = "osprey.inference.transaction.latency";
  public static final String END_TO_END_LATENCY = "osprey.inference.end.to.end.latency";
  public static final String BATCH_SIZE = "osprey.inference.batch.size";
  public static final String PREDICTIONS = "osprey.inference.predictions";
  public static final String CONFIDENCE = "osprey.inference.confidence";
  public static final String DEAD_LETTERS = "osprey.inference.dead.letters";
  public static final String TRANSACTIONS = "osprey.inference.transactions";
  public static final String CONSUMER_LAG = "osprey.inference.consumer.lag";
  public static final String HTTP_REQUESTS = "osprey.inference.http.requests";
  public static final String START_TO_FIRST_PREDICTION = "osprey.inference.start.to.first.prediction";

  private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  private static final double[] CONFIDENCE_BUCKETS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0};

  private final MeterRegistry registry;
  private final Map<String, Object> meters = new ConcurrentHashMap<>();
  private final AtomicLong consumerLag = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicBoolean firstPrediction = new java.util.concurrent.atomic.AtomicBoolean();
  private final DistributionSummary batchSize;
  private final Timer preprocess;
  private final Timer postprocess;
  private final Timer transaction;
  private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
  private final Counter modelCpu;

  public InferenceMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.batchSize = DistributionSummary.builder(BATCH_SIZE)
        .description("Samples per model call")
        .baseUnit("samples")
        .serviceLevelObjectives(BATCH_BUCKETS)
        .register(registry);
    this.preprocess = stageTimer(PREPROCESS_LATENCY, "Parsing, validating and normalizing one batch's samples");
    this.postprocess = stageTimer(POSTPROCESS_LATENCY, "Logits to predictions (softmax, label, record) for one model call");
    this.transaction = stageTimer(TRANSACTION_LATENCY,
        "Encoding and writing one transaction's predictions and dead letters and committing it with its offsets");
    this.modelCpu = threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled()
        ? Counter.builder(MODEL_CPU)
            .description("CPU time of the model calls' thread during the calls (below their wall time: waiting for a core)")
            .baseUnit("seconds")
            .register(registry)
        : null;
    Gauge.builder(CONSUMER_LAG, consumerLag, AtomicLong::get)
        .description("Records between this instance's position and the end of its assigned sample partitions")
        .baseUnit("records")
        .register(registry);
    // Counters for every reason exist from the start at 0, so "no dead letters" is a flat line and
    // rate() has data, not an absent series.
    for (dev.osprey.core.event.RejectReason reason : dev.osprey.core.event.RejectReason.values()) {
      counter(DEAD_LETTERS, "Samples sent to the dead-letter topic", "reason", reason.code());
    }
  }

  /**
   * Records, once, the seconds from the process's start to its first committed prediction (start-up
   * as a user sees it: JVM, model load, group join, first fetch, first transaction).
   *
   * @return the seconds on the first call, NaN on later ones
   */
  /** True until {@link #firstPredictionCommitted} was called. */
  boolean awaitingFirstPrediction() {
    return !firstPrediction.get();
  }

  public double firstPredictionCommitted(long nowMillis, long processStartMillis) {
    if (!firstPrediction.compareAndSet(false, true)) {
      return Double.NaN;
    }
    double seconds = (nowMillis - processStartMillis) / 1000.0;
    Gauge.builder(START_TO_FIRST_PREDICTION, () -> seconds)
        .description("From the process's start to its first committed prediction")
        .baseUnit("seconds")
        .register(registry);
    return seconds;
  }

  private Timer stageTimer(String name, String description) {
    return Timer.builder(name)
        .description(description)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(10_000))
        .maximumExpectedValue(Duration.ofSeconds(1))
        .register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  // The meters of the per-sample calls by version (and label): no key string built and hashed per
  // sample (that was a tenth of the post-processing's time).
  private final Map<Integer, Map<String, Counter>> predictionCounters = new ConcurrentHashMap<>();
  private final Map<Integer, DistributionSummary> confidences = new ConcurrentHashMap<>();
  private final Map<Integer, Timer> endToEndTimers = new ConcurrentHashMap<>();

  @SuppressWarnings("unchecked")
  private <M> M meter(String key, Function<String, M> create) {
    return (M) meters.computeIfAbsent(key, create);
  }

  void preprocess(long nanos) {
    preprocess.record(nanos, TimeUnit.NANOSECONDS);
  }

  void postprocess(long nanos) {
    postprocess.record(nanos, TimeUnit.NANOSECONDS);
  }

  void transaction(long nanos) {
    transaction.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** The calling thread's CPU time in nanoseconds, for {@link #modelCall}; -1 where the JVM cannot read it. */
  long threadCpuNanos() {
    return modelCpu == null ? -1 : threads.getCurrentThreadCpuTime();
  }

  /**
   * One model call.
   *
   * @param cpuNanos the calling thread's CPU time during the call ({@link #threadCpuNanos} after
   *     minus before); ignored when negative
   */
  void modelCall(int version, int samples, long nanos, long cpuNanos) {
    if (modelCpu != null && cpuNanos >= 0) {
      modelCpu.increment(cpuNanos / 1e9);
    }
    batchSize.record(samples);
    this.<Timer>meter("ml|" + version, k -> Timer.builder(MODEL_LATENCY)
        .description("Time of one model call (one batch)")
        .tag("model_version", Integer.toString(version))
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
  }

  void endToEnd(int version, long millis) {
    endToEndTimers.computeIfAbsent(version, v -> this.<Timer>meter("e2e|" + version, k -> Timer.builder(END_TO_END_LATENCY)
        .description("From the sample's timestamp to its committed prediction")
        .tag("model_version", Integer.toString(version))
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(1))
        .register(registry))).record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  void prediction(int version, String label, double confidence) {
    predictionCounters.computeIfAbsent(version, v -> new ConcurrentHashMap<>())
        .computeIfAbsent(label, l -> this.<Counter>meter("p|" + version + "|" + label, k -> Counter.builder(PREDICTIONS)
            .description("Predictions made")
            .tag("model_version", Integer.toString(version))
            .tag("label", label)
            .register(registry))).increment();
    confidences.computeIfAbsent(version, v -> this.<DistributionSummary>meter("c|" + version,
        k -> DistributionSummary.builder(CONFIDENCE)
            .description("Probability of the predicted class")
            .tag("model_version", Integer.toString(version))
            .serviceLevelObjectives(CONFIDENCE_BUCKETS)
            .register(registry))).record(confidence);
  }

  void deadLetter(String reason) {
    counter(DEAD_LETTERS, "Samples sent to the dead-letter topic", "reason", reason).increment();
  }

  void transaction(String outcome) {
    counter(TRANSACTIONS, "Kafka transactions, committed or aborted", "outcome", outcome).increment();
  }

  void httpRequest(String route, int status) {
    this.<Counter>meter("h|" + route + "|" + status, k -> Counter.builder(HTTP_REQUESTS)
        .description("HTTP requests by route and status")
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .register(registry)).increment();
  }

  void consumerLag(long records) {
    consumerLag.set(records);
  }

  private Counter counter(String name, String description, String tag, String value) {
    return meter(name + "|" + value, k -> Counter.builder(name).description(description).tag(tag, value).register(registry));
  }
}
