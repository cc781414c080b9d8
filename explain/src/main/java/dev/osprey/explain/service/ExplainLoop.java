package dev.osprey.explain.service;

import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.core.service.ClientThreadWork;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.Method;
import dev.osprey.explain.sampling.CpuBudget;
import dev.osprey.explain.sampling.SamplingPolicy;
import dev.osprey.explain.sampling.SkipReason;
import dev.osprey.explain.sampling.Trigger;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The explain service's one worker thread: reads predictions, outcomes and drift reports with one
 * consumer (in the service's group), applies the sampling policy, joins the chosen predictions with
 * their samples (the position each prediction carries, {@link PositionJoin}; the one sample read
 * from {@code osprey.samples} by a {@link SampleSource} only when it is explained), explains them
 * with the exact version that predicted them, writes the {@link Explanation}s (idempotent producer)
 * and the heatmaps, and serves on-demand requests between polls. Everything that touches a model
 * runs on this thread, so no model is shared across threads.
 *
 * <p>At least once: offsets are committed (every second, on a revoke, at the end) after the explanations read before were acknowledged, and
 * no further than what the join still holds in memory only: the oldest prediction whose sample
 * position is held (per predictions partition) and the oldest outcome still waiting for its
 * prediction. A restart (or the partition's next owner) reads those again, so a crash loses no
 * chosen work and the join holds the positions it held before; what it repeats is explained again.
 * How far the predictions were <em>decided</em> goes with each commit as its metadata
 * ({@code decided=<offset>}, {@link DecidedOffsets}): predictions read again below it only give back their
 * positions, so held positions do not make a restart sample the same traffic twice.
 *
 * <p>Explaining is slower than predicting, which is why the policy bounds the rate; if the chosen
 * rate still exceeds what the machine explains, the consumer falls behind (Kafka is the buffer, no
 * memory grows) and {@code osprey_explain_lag_seconds} shows it. The {@link CpuBudget} bounds the
 * CPU this thread spends explaining (each explanation is charged this thread's CPU time); a chosen
 * prediction it does not admit is skipped ({@link SkipReason#BUDGET}).
 */
public final class ExplainLoop extends ClientThreadWork {
  private static final Logger LOG = LoggerFactory.getLogger(ExplainLoop.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration COMMIT_INTERVAL = Duration.ofSeconds(1);
  // the first failed write of an explanation, set on the producer's I/O thread
  private volatile Exception sendFailure;

  /** An on-demand request queued for the worker. */
  private record Request(Sample sample, int version, List<Method> methods, CompletableFuture<SampleExplainer.Result> done) {}

  /** A chosen prediction (or wrong outcome) waiting for its sample's position, with where it was read. */
  private record Work(SampleExplainer.Target target, TopicPartition source, long offset) {}

  private final Topics topics;
  private final EventCodec codec = new EventCodec();
  private final Consumer<String, byte[]> consumer;
  private final Producer<String, Explanation> producer;
  private final SamplingPolicy policy;
  private final PositionJoin<Work> join;
  private final SampleSource samples;
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
  private long lastCommit = Long.MIN_VALUE;
  private final DecidedOffsets decided;
  private volatile int positionsHeld;
  private volatile int waiting;

  /**
   * @param consumer raw values (decoded here, so a bad record is skipped, not fatal); closed by the loop
   * @param samples reads the sample of each prediction explained; closed by the loop
   * @param producer of explanations; closed by the loop
   * @param heatmaps where PNGs go, or null
   * @param servingVersion the version the model follower serves now (0 when none): opened ahead of its predictions
   * @param budget the CPU ceiling on explaining (owned by this loop's thread)
   * @param threadCpu the calling thread's CPU time in nanoseconds (e.g. {@link ThreadCpu#current()})
   * @param wallClock a monotonic clock in nanoseconds (e.g. {@code System::nanoTime}): the budget's refill
   */
  public ExplainLoop(Topics topics, Consumer<String, byte[]> consumer, SampleSource samples,
      Producer<String, Explanation> producer, SamplingPolicy policy, int sampleBuffer, int waitingBuffer, SampleExplainer explainer, VersionCache versions,
      ExplanationStore store, HeatmapStore heatmaps, ExplainMetrics metrics, IntSupplier servingVersion,
      CpuBudget budget, LongSupplier threadCpu, LongSupplier wallClock) {
    super(LOG);
    this.topics = topics;
    this.consumer = consumer;
    this.samples = samples;
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
    this.decided = new DecidedOffsets(topics.predictions().name());
    this.join = new PositionJoin<>(sampleBuffer, waitingBuffer, w -> metrics.skipped(SkipReason.SAMPLE_MISSING));
    metrics.joinGauges(this::positionsHeld, this::waiting);
  }

  private int positionsHeld() {
    return positionsHeld;
  }

  private int waiting() {
    return waiting;
  }

  @Override
  protected void work() {
    consumer.subscribe(List.of(topics.drift().name(), topics.predictions().name(), topics.outcomes().name()),
        new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commit(true); // the partitions' next owner starts where this one got to
            decided.forget(partitions);
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            decided.forget(partitions); // read from the group's commit when its first records come
          }
        });
    while (running()) {
      openServingVersion();
      handle(consumer.poll(POLL));
      commit(false);
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
    if (lastCommit != Long.MIN_VALUE && sendFailure == null && fatal() == null) {
      try {
        try {
          commit(true); // what was handled since the last interval's commit
        } catch (WakeupException e) {
          commit(true); // stop()'s wake-up came while the loop was explaining: it is spent now
        }
      } catch (RuntimeException e) {
        LOG.warn("last commit failed ({}); a restart reads from the one before", e.toString());
      }
    }
    try {
      consumer.close(Duration.ofSeconds(5));
    } finally {
      try {
        samples.close();
      } finally {
        try {
          producer.close(Duration.ofSeconds(5));
        } finally {
          versions.close();
        }
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
    decided.learn(records.partitions(), consumer);
    for (ConsumerRecord<String, byte[]> r : records.records(topics.predictions().name())) {
      Prediction p = decode(r, () -> codec.decodePrediction(r.value()));
      if (p == null) {
        continue;
      }
      SamplePosition at = SamplePosition.of(r.headers());
      if (at != null) {
        // outcomes that came before their prediction join now
        for (PositionJoin.Joined<Work> j : join.offer(p.sampleId(), at, r.partition(), r.offset())) {
          explain(j.position(), j.work().target());
        }
      }
      if (decided.decidedBefore(r.partition(), r.offset())) {
        continue; // decided before a restart; read again for its position only
      }
      SamplingPolicy.Decision d = policy.onPrediction(p);
      if (d.explain() && at == null) {
        // written by something other than the inference service, which names each sample's position
        LOG.warn("{}-{}@{} names no sample position (header {}): not explained", r.topic(), r.partition(), r.offset(),
            SamplePosition.HEADER);
        metrics.sampled(d.trigger());
        metrics.skipped(SkipReason.SAMPLE_MISSING);
        continue;
      }
      choose(d, new SampleExplainer.Target(p.sampleId(), p.modelVersion(), p.label(), d.trigger(), p.timestamp()), r);
    }
    for (ConsumerRecord<String, byte[]> r : records.records(topics.outcomes().name())) {
      Outcome o = decode(r, () -> codec.decodeOutcome(r.value()));
      if (o != null) {
        SamplingPolicy.Decision d = policy.onOutcome(o);
        choose(d, new SampleExplainer.Target(o.sampleId(), o.modelVersion(), o.predicted(), d.trigger(),
            o.predictionTimestamp()), r);
      }
    }
    positionsHeld = join.held();
    waiting = join.waiting();
  }

  /**
   * Commits what was handled once its explanations are acknowledged: at most every
   * {@code COMMIT_INTERVAL} (each commit is a broker write; per poll that was tens a second beside a
   * fast inference service), and at once when {@code now} (a revoke, the loop's end).
   */
  private void commit(boolean now) {
    long t = System.nanoTime();
    if (!now && lastCommit != Long.MIN_VALUE && t - lastCommit < COMMIT_INTERVAL.toNanos()) {
      return;
    }
    producer.flush();
    Exception failed = sendFailure;
    if (failed != null) {
      // committing now would lose those explanations: fail instead (health DOWN), and a restart
      // explains what was read since the last commit again (at least once)
      throw new IllegalStateException("explanations not written, offsets not committed: " + failed, failed);
    }
    consumer.commitSync(committable());
    lastCommit = t;
  }

  /** Each partition's position, held back to the oldest record the join still needs (see the class comment). */
  private Map<TopicPartition, OffsetAndMetadata> committable() {
    Map<TopicPartition, Long> needed = new HashMap<>();
    join.oldestHeldOffsets().forEach((p, o) -> needed.put(new TopicPartition(topics.predictions().name(), p), o));
    for (Work w : join.waitingWork()) {
      needed.merge(w.source(), w.offset(), Math::min);
    }
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (TopicPartition tp : consumer.assignment()) {
      long position = consumer.position(tp);
      out.put(tp, decided.commit(tp, Math.min(position, needed.getOrDefault(tp, position)), position));
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
    PositionJoin.Joined<Work> j = join.offerWork(target.sampleId(),
        new Work(target, new TopicPartition(r.topic(), r.partition()), r.offset()));
    if (j != null) {
      explain(j.position(), target);
    }
  }

  /** Explains the sample at {@code position} if the budget admits it: only then is the sample read. */
  private void explain(SamplePosition position, SampleExplainer.Target target) {
    if (!budget.admits(target.trigger(), wallClock.getAsLong())) {
      metrics.skipped(SkipReason.BUDGET);
      policy.notExplained(target.sampleId()); // its wrong outcome, if one comes, may still be explained
      return;
    }
    long cpu = threadCpu.getAsLong();
    try {
      SampleSource.Found found = samples.find(target.sampleId(), position);
      if (found.sample() == null) {
        LOG.warn("sample {} not explained: {}", target.sampleId(), found.detail());
        metrics.skipped(found.missing());
        return;
      }
      Sample sample = found.sample();
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
