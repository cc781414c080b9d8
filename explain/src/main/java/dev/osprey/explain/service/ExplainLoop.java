package dev.osprey.explain.service;

import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.service.ClientThreadWork;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.Method;
import dev.osprey.explain.sampling.CpuBudget;
import dev.osprey.explain.sampling.SamplingPolicy;
import dev.osprey.explain.sampling.SkipReason;
import dev.osprey.explain.sampling.Trigger;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The explain service's one worker thread: reads samples, predictions, outcomes and drift reports
 * with one consumer (in the service's group), applies the sampling policy, joins the chosen
 * predictions with their samples, explains them with the exact version that predicted them, writes
 * the {@link Explanation}s (idempotent producer) and the heatmaps, and serves on-demand requests
 * between polls. Everything that touches a model runs on this thread, so no model is shared across
 * threads.
 *
 * <p>At least once: offsets are committed after the explanations of a poll were acknowledged, and
 * no further than what the join still holds in memory only: the oldest sample held (per samples
 * partition) and the oldest chosen prediction or outcome still waiting for its sample. A restart
 * (or the partition's next owner) reads those again, so a crash loses no chosen prediction and the
 * join holds the samples it held before; what it repeats is explained again.
 *
 * <p>Explaining is slower than predicting, which is why the policy bounds the rate; if the chosen
 * rate still exceeds what the machine explains, the consumer falls behind (Kafka is the buffer, no
 * memory grows) and {@code osprey_explain_lag_seconds} shows it. The {@link CpuBudget} bounds the
 * CPU this thread spends explaining (each explanation is charged this thread's CPU time); a chosen
 * prediction it does not admit is skipped ({@link SkipReason#BUDGET}).
 */
public final class ExplainLoop extends ClientThreadWork {
  // the first failed write of an explanation, set on the producer's I/O thread
  private volatile Exception sendFailure;
  private static final Logger LOG = LoggerFactory.getLogger(ExplainLoop.class);
  private static final Duration POLL = Duration.ofMillis(100);

  /** An on-demand request queued for the worker. */
  private record Request(Sample sample, int version, List<Method> methods, CompletableFuture<SampleExplainer.Result> done) {}

  /** A chosen prediction (or wrong outcome) waiting for its sample, with where it was read. */
  private record Work(SampleExplainer.Target target, TopicPartition source, long offset) {}

  private final Topics topics;
  private final EventCodec codec = new EventCodec();
  private final Consumer<String, byte[]> consumer;
  private final Producer<String, Explanation> producer;
  private final SamplingPolicy policy;
  private final SampleJoin<Work> join;
  private final SampleExplainer explainer;
  private final VersionCache versions;
  private final ExplanationStore store;
  private final HeatmapStore heatmaps;
  private final ExplainMetrics metrics;
  private final IntSupplier servingVersion;
  private final CpuBudget budget;
  private final LongSupplier threadCpu;
  private final LongSupplier wallClock;
  private final BlockingQueue<Request> requests = new ArrayBlockingQueue<>(16);
  private int lastServing;
  private volatile int samplesHeld;
  private volatile int waiting;

  /**
   * @param consumer raw values (decoded here, so a bad record is skipped, not fatal); closed by the loop
   * @param producer of explanations; closed by the loop
   * @param heatmaps where PNGs go, or null
   * @param servingVersion the version the model follower serves now (0 when none): opened ahead of its predictions
   * @param budget the CPU ceiling on explaining (owned by this loop's thread)
   * @param threadCpu the calling thread's CPU time in nanoseconds (e.g. {@link ThreadCpu#current()})
   * @param wallClock a monotonic clock in nanoseconds (e.g. {@code System::nanoTime}): the budget's refill
   */
  public ExplainLoop(Topics topics, Consumer<String, byte[]> consumer, Producer<String, Explanation> producer,
      SamplingPolicy policy, int sampleBuffer, int waitingBuffer, SampleExplainer explainer, VersionCache versions,
      ExplanationStore store, HeatmapStore heatmaps, ExplainMetrics metrics, IntSupplier servingVersion,
      CpuBudget budget, LongSupplier threadCpu, LongSupplier wallClock) {
    super(LOG);
    this.topics = topics;
    this.consumer = consumer;
    this.producer = producer;
    this.policy = policy;
    this.explainer = explainer;
    this.versions = versions;
    this.store = store;
    this.heatmaps = heatmaps;
    this.metrics = metrics;
    this.servingVersion = servingVersion;
    this.budget = budget;
    this.threadCpu = threadCpu;
    this.wallClock = wallClock;
    this.join = new SampleJoin<>(sampleBuffer, waitingBuffer, w -> metrics.skipped(SkipReason.SAMPLE_MISSING),
        this::decodeHeldSample);
    metrics.joinGauges(this::samplesHeld, this::waiting);
  }

  private int samplesHeld() {
    return samplesHeld;
  }

  private int waiting() {
    return waiting;
  }

  @Override
  protected void work() {
    consumer.subscribe(List.of(topics.drift().name(), topics.samples().name(), topics.predictions().name(),
        topics.outcomes().name()));
    while (running()) {
      openServingVersion();
      handle(consumer.poll(POLL));
      serveRequests();
    }
  }

  @Override
  protected Consumer<?, ?> consumer() {
    return consumer;
  }

  @Override
  protected void cleanup() {
    failPending();
    try {
      consumer.close(Duration.ofSeconds(5));
    } finally {
      try {
        producer.close(Duration.ofSeconds(5));
      } finally {
        versions.close();
      }
    }
  }

  /**
   * Queues an on-demand explanation for the worker thread.
   *
   * @param version the version to explain with, or 0 for the serving one
   * @return completes with the result; fails if the queue is full or the loop stops
   */
  public CompletableFuture<SampleExplainer.Result> request(Sample sample, int version, List<Method> methods) {
    CompletableFuture<SampleExplainer.Result> done = new CompletableFuture<>();
    if (!isRunning()) {
      done.completeExceptionally(new IllegalStateException("the explain loop is not running"));
    } else if (!requests.offer(new Request(sample, version, methods, done))) {
      done.completeExceptionally(new IllegalStateException("too many explanations queued; try again"));
    }
    return done;
  }

  private void openServingVersion() {
    int v = servingVersion.getAsInt();
    if (v > 0 && v != lastServing) {
      lastServing = v;
      versions.retry(v);
      versions.get(v); // opened now, before its predictions arrive
    }
  }

  private void handle(ConsumerRecords<String, byte[]> records) {
    if (records.isEmpty()) {
      return;
    }
    for (ConsumerRecord<String, byte[]> r : records.records(topics.drift().name())) {
      DriftReport d = decode(r, () -> codec.decodeDriftReport(r.value()));
      if (d != null) {
        policy.onDrift(d);
      }
    }
    for (ConsumerRecord<String, byte[]> r : records.records(topics.samples().name())) {
      // held encoded under its key (the sample id) and decoded only if a chosen prediction needs it:
      // most samples are never explained, and decoding them all was most of following the traffic
      List<SampleJoin.Joined<Work>> joined;
      if (r.key() != null && r.value() != null) {
        joined = join.offerEncoded(r.key(), r.value(), r.partition(), r.offset());
      } else {
        Sample s = decode(r, () -> codec.decodeSample(r.value()));
        joined = s == null ? List.of() : join.offerSample(s, r.partition(), r.offset());
      }
      for (SampleJoin.Joined<Work> j : joined) {
        explain(j.sample(), j.work().target());
      }
    }
    for (ConsumerRecord<String, byte[]> r : records.records(topics.predictions().name())) {
      Prediction p = decode(r, () -> codec.decodePrediction(r.value()));
      if (p != null) {
        SamplingPolicy.Decision d = policy.onPrediction(p);
        choose(d, new SampleExplainer.Target(p.sampleId(), p.modelVersion(), p.label(), d.trigger(), p.timestamp()), r);
      }
    }
    for (ConsumerRecord<String, byte[]> r : records.records(topics.outcomes().name())) {
      Outcome o = decode(r, () -> codec.decodeOutcome(r.value()));
      if (o != null) {
        SamplingPolicy.Decision d = policy.onOutcome(o);
        choose(d, new SampleExplainer.Target(o.sampleId(), o.modelVersion(), o.predicted(), d.trigger(),
            o.predictionTimestamp()), r);
      }
    }
    samplesHeld = join.samplesHeld();
    waiting = join.waiting();
    producer.flush();
    Exception failed = sendFailure;
    if (failed != null) {
      // committing now would lose those explanations: fail instead (health DOWN), and a restart
      // explains this poll's predictions again (at least once)
      throw new IllegalStateException("explanations not written, offsets not committed: " + failed, failed);
    }
    consumer.commitSync(committable());
  }

  /** Each partition's position, held back to the oldest record the join still needs (see the class comment). */
  private Map<TopicPartition, OffsetAndMetadata> committable() {
    Map<TopicPartition, Long> needed = new HashMap<>();
    join.oldestHeldOffsets().forEach((p, o) -> needed.put(new TopicPartition(topics.samples().name(), p), o));
    for (Work w : join.waitingWork()) {
      needed.merge(w.source(), w.offset(), Math::min);
    }
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (TopicPartition tp : consumer.assignment()) {
      long position = consumer.position(tp);
      out.put(tp, new OffsetAndMetadata(Math.min(position, needed.getOrDefault(tp, position))));
    }
    return out;
  }

  private void choose(SamplingPolicy.Decision d, SampleExplainer.Target target, ConsumerRecord<String, byte[]> r) {
    if (!d.explain()) {
      if (d.skipReason() != SkipReason.OTHER_MODEL) {
        metrics.skipped(d.skipReason());
      }
      return;
    }
    metrics.sampled(d.trigger());
    SampleJoin.Joined<Work> j = join.offerWork(target.sampleId(),
        new Work(target, new TopicPartition(r.topic(), r.partition()), r.offset()));
    if (j != null) {
      explain(j.sample(), target);
    }
  }

  private void explain(Sample sample, SampleExplainer.Target target) {
    if (!budget.admits(target.trigger(), wallClock.getAsLong())) {
      metrics.skipped(SkipReason.BUDGET);
      policy.notExplained(target.sampleId()); // its wrong outcome, if one comes, may still be explained
      return;
    }
    long cpu = threadCpu.getAsLong();
    try {
      SampleExplainer.Result result = explainer.explain(sample, target);
      if (result.skipped() != null) {
        metrics.skipped(result.skipped());
        return;
      }
      publish(sample.id(), result);
      long now = System.currentTimeMillis();
      metrics.lag(target.predictionTimestamp(), now);
    } finally {
      charge(cpu);
    }
  }

  /** Charges the CPU this thread spent since {@code cpuBefore} to the budget and the CPU meter. */
  private void charge(long cpuBefore) {
    long spent = threadCpu.getAsLong() - cpuBefore;
    budget.charge(spent, wallClock.getAsLong());
    metrics.cpu(spent);
  }

  private void publish(String sampleId, SampleExplainer.Result result) {
    for (Explanation e : result.explanations()) {
      producer.send(new ProducerRecord<>(topics.explanations().name(), sampleId, e), (meta, ex) -> {
        if (ex != null) {
          LOG.warn("explanation of {} ({}) not written: {}", sampleId, e.method(), ex.toString());
          sendFailure = ex;
        }
      });
    }
    store.put(sampleId, new ExplanationStore.Entry(result.explanations(), result.heatmap()));
    if (heatmaps != null) { // rendered now only for the directory; else when GET .png asks
      byte[] png = result.png();
      if (png != null) {
        heatmaps.write(sampleId, png);
      }
    }
  }

  private void serveRequests() {
    Request q;
    while ((q = requests.poll()) != null) {
      try {
        int version = q.version() > 0 ? q.version() : servingVersion.getAsInt();
        if (version <= 0) {
          q.done().complete(SampleExplainer.Result.skip(SkipReason.VERSION_UNAVAILABLE));
          continue;
        }
        long cpu = threadCpu.getAsLong();
        SampleExplainer.Result r;
        try {
          r = explainer.explain(q.sample(),
              new SampleExplainer.Target(q.sample().id(), version, -1, Trigger.REQUEST, q.sample().timestamp()), q.methods());
        } finally {
          charge(cpu);
        }
        if (r.skipped() == null) {
          store.put(q.sample().id(), new ExplanationStore.Entry(r.explanations(), r.heatmap()));
        }
        q.done().complete(r);
      } catch (RuntimeException e) {
        q.done().completeExceptionally(e);
      }
    }
  }

  private void failPending() {
    Request q;
    while ((q = requests.poll()) != null) {
      q.done().completeExceptionally(new IllegalStateException("the explain loop stopped"));
    }
  }

  /** Decodes a sample the join held encoded; null (logged, counted as invalid-event) if invalid or not the key's. */
  private Sample decodeHeldSample(String id, byte[] encoded, int partition, long offset) {
    String where = topics.samples().name() + "-" + partition + "@" + offset;
    try {
      Sample s = codec.decodeSample(encoded);
      if (!id.equals(s.id())) {
        throw new InvalidEventException(RejectReason.INVALID_FIELD, "sample id '" + s.id() + "' is not its key '" + id + "'");
      }
      return s;
    } catch (InvalidEventException | RuntimeException e) {
      LOG.warn("skipping {}: {}", where, e.getMessage());
      metrics.skipped(SkipReason.INVALID_EVENT);
      return null;
    }
  }

  private interface Decoder<T> {
    T decode() throws InvalidEventException;
  }

  private <T> T decode(ConsumerRecord<String, byte[]> r, Decoder<T> d) {
    try {
      if (r.value() == null) {
        throw new InvalidEventException(RejectReason.INVALID_FIELD, "null value");
      }
      return d.decode();
    } catch (InvalidEventException | RuntimeException e) {
      LOG.warn("skipping {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
      metrics.skipped(SkipReason.INVALID_EVENT);
      return null;
    }
  }
}
