package dev.osprey.inference;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.core.event.SampleValidator;
import dev.osprey.core.service.ClientThreadWork;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.serving.LoadedModel;
import dev.osprey.model.serving.ModelHolder;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.Serdes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consume -> micro-batch -> predict -> produce loop, on one thread that owns the
 * {@link SampleSource batch source}, the {@link MicroBatcher batcher} and the
 * {@link TransactionalSink transactional sink}; HTTP requests join the batches through
 * {@link PredictRequests}.
 *
 * <p>With a backlog, one poll brings up to {@value #MODEL_BATCHES_PER_TRANSACTION} model batches,
 * all handled together. What is handled together runs on one retained model (so it never mixes
 * versions) and is one Kafka transaction: its predictions, its dead letters and its consumed
 * offsets commit together or not at all. Consumers downstream read {@code read_committed}.
 *
 * <p>A batch's transaction commits on the {@link CommitPipeline}'s thread while the loop polls and
 * scores the next batch; the loop waits for it before handing over the next one.
 *
 * <p>Failures: a sample that does not decode or does not fit the model goes to the DLQ in the
 * batch's transaction (never a crash loop). A transaction that fails is aborted and the source
 * rewound to the batch's first offsets, so the batch runs again, with every record consumed after
 * it (dropped, uncommitted). A fenced producer (another instance took this transactional id) stops
 * the loop: the service reports unhealthy.
 *
 * <p>Rebalances: partitions are given up only after the transaction in flight has ended (the revoke
 * callback waits for it); then the buffered records of the revoked partitions are dropped (their
 * offsets were never committed, so the new owner reads them again).
 */
final class PredictionLoop extends ClientThreadWork implements PredictRequests {
  private static final Logger LOG = LoggerFactory.getLogger(PredictionLoop.class);
  private static final Duration IDLE_POLL = Duration.ofMillis(100);
  /** Most model calls (of maxBatchSize samples) in one transaction when records are waiting. */
  static final int MODEL_BATCHES_PER_TRANSACTION = 32;
  /**
   * Fewest model batches in a transaction for decoding ahead on the decoder thread: a backlog. A
   * smaller transaction is decoded in one pass: handing chunks to a thread that must first be
   * scheduled, on cores the broker and the commits share, cost latency at a steady 8,000/s.
   */
  static final int DECODE_AHEAD_MODEL_BATCHES = 8;
  /** Model batches in the first transaction after a start (see {@link #transactionLimit()}). */
  static final int FIRST_MODEL_BATCHES = 1;

  private final String instance;
  private final SampleValidator validator;
  private final ModelHolder holder;
  private final BatchScorer scorer;
  private final InferenceMetrics metrics;
  private final SampleSource source;
  private final MicroBatcher batcher;
  private final TransactionalSink sink;
  private final CommitPipeline commits;
  /** Decodes the next model batch of a transaction while the loop's thread scores this one. */
  private final ExecutorService decoder;
  private final List<KafkaClientMetrics> clientMetrics;
  private final int maxBatchSize;
  private int transactionsHandedOver;
  /** Records behind the last poll (the consumer's lag), as of the last round. */
  private long lag;
  /** The normalized rows of the batch being handled, reused batch after batch (this thread only). */
  private float[] rowBuffer;

  /**
   * @param consumer the samples consumer, configured as {@link #create} does (group, static membership)
   * @param producer the transactional producer of predictions and dead letters
   * @param clientMetrics the clients' own meters, closed with the loop
   * @param committer runs the transactions' commits beside the loop ({@link CommitPipeline}); a
   *     direct executor commits each batch before the loop goes on
   */
  PredictionLoop(InferenceConfig config, Topics topics, EventCodec codec, ModelHolder holder, InferenceMetrics metrics,
      Clock clock, Consumer<String, byte[]> consumer, Producer<String, byte[]> producer,
      List<KafkaClientMetrics> clientMetrics, java.util.concurrent.Executor committer) {
    super(LOG);
    this.instance = config.transactionalId();
    this.validator = new SampleValidator(codec, SampleValidator.DEFAULT_MAX_BYTES);
    this.holder = holder;
    this.metrics = metrics;
    this.scorer = new BatchScorer(config.maxBatchSize(), config.emitEmbedding(), metrics, clock);
    this.source = new SampleSource(consumer, topics.samples().name(), instance);
    this.batcher = new MicroBatcher(config.maxBatchSize(), config.maxBatchDelay(), System::nanoTime);
    this.sink = new TransactionalSink(producer, topics, codec, metrics, clock);
    this.commits = new CommitPipeline(sink, committer);
    this.decoder = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "osprey-inference-decode-" + instance);
      t.setDaemon(true);
      return t;
    });
    this.maxBatchSize = config.maxBatchSize();
    this.clientMetrics = clientMetrics;
  }

  /** The loop with real clients from {@code kafka}, their own meters bound beside Osprey's. */
  static PredictionLoop create(InferenceConfig config, KafkaClients kafka, Topics topics, EventCodec codec,
      ModelHolder holder, InferenceMetrics metrics, Clock clock) {
    String id = config.transactionalId();
    Consumer<String, byte[]> consumer = kafka.readCommittedConsumer(Serdes.String(), Serdes.ByteArray(), id + "-samples",
        Map.of(ConsumerConfig.GROUP_ID_CONFIG, config.groupId(),
            // Static membership: a restarted instance takes its partitions back at once instead of
            // waiting a session timeout for a rebalance, and a zombie with the same id is fenced.
            ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id,
            // A backlog is taken several model batches per transaction: a commit costs broker round
            // trips (~10-20 ms), which capped throughput at one model batch per commit. Polls bring up
            // to two transactions' worth: the batcher keeps the rest, so every transaction of a backlog
            // is full (at one transaction's worth, a fetch larger than that left a remainder that went
            // out as a transaction of its own, ~1,200 records per transaction on average instead of 2,048).
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            Integer.toString(2 * config.maxBatchSize() * MODEL_BATCHES_PER_TRANSACTION)));
    Producer<String, byte[]> producer = kafka.transactionalProducer(Serdes.String(), Serdes.ByteArray(), id,
        id + "-predictions", Map.of(ProducerConfig.LINGER_MS_CONFIG, "5",
            // With a backlog the next transaction begins as soon as the last one commits, before the
            // broker has written its markers: the broker answers CONCURRENT_TRANSACTIONS and the
            // client waits the retry backoff. At the default 100 ms that was most of the latency
            // (p50 208 ms at 1,000 samples/s against 27 ms at 5 ms; docs/benchmarks-inference.md).
            ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "5"));
    // the clients' own metrics (fetch lag, request latency, batch sizes, ...) beside Osprey's
    List<KafkaClientMetrics> clientMetrics = List.of(new KafkaClientMetrics(consumer), new KafkaClientMetrics(producer));
    clientMetrics.forEach(m -> m.bindTo(metrics.registry()));
    return new PredictionLoop(config, topics, codec, holder, metrics, clock, consumer, producer, clientMetrics,
        CommitPipeline.committerThread(id));
  }

  @Override
  public CompletableFuture<List<Prediction>> submit(List<Sample> samples) {
    CompletableFuture<List<Prediction>> f = new CompletableFuture<>();
    if (!running()) {
      f.completeExceptionally(new UnavailableException("the prediction loop is stopped"));
    } else if (holder.peek() == null) {
      f.completeExceptionally(new UnavailableException("no model loaded yet"));
    } else {
      batcher.enqueue(new MicroBatcher.HttpRequest(List.copyOf(samples), f));
      source.wakeup();
    }
    return f;
  }

  boolean isSubscribed() {
    return source.isSubscribed();
  }

  @Override
  protected Consumer<?, ?> consumer() {
    return source.consumer();
  }

  @Override
  protected void work() throws InterruptedException {
    try {
      sink.init();
      commits.lookUpTopics(); // on the committer's thread, while this one waits for the group
      while (running() && !holder.awaitModel(IDLE_POLL)) {
        batcher.failRequests(new UnavailableException("no model loaded yet"));
      }
      if (running()) {
        subscribe();
      }
      while (running()) {
        step();
      }
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      fail(e, "inference producer " + instance + " was fenced: another instance runs with this "
          + "transactional id; this instance stops consuming");
    }
  }

  /** Fences an earlier incarnation with this transactional id (the first thing {@link #work()} does). */
  void initTransactions() {
    sink.init();
  }

  void subscribe() {
    source.subscribe(this::dropRevoked);
  }

  /** One round: poll (or wait for HTTP requests), and handle the buffer if a batch is due. */
  void step() {
    reread(commits.finished(), List.of());
    int limit = transactionLimit();
    if (batcher.pending() < limit) {
      batcher.add(source.poll(batcher.pollTimeout(IDLE_POLL, limit, lag)));
    } // else a full transaction is buffered already: handle it first (the buffer stays bounded)
    lag = source.lag();
    metrics.consumerLag(lag);
    batcher.drainRequests();
    if (batcher.due(!running(), limit, lag)) {
      process(batcher.take(limit));
    }
  }

  /**
   * Most records in the next transaction: {@value #FIRST_MODEL_BATCHES} model batch in the first,
   * doubling with each one handed over up to {@value #MODEL_BATCHES_PER_TRANSACTION}. After a start
   * the code is cold (the first 1,000 records took ~0.4 s to handle and send) and a backlog is usual
   * (the traffic of the downtime): smaller first transactions put predictions out sooner, and the
   * JIT warms on them. One model batch first instead of four: 0.07-0.14 s sooner to the first
   * committed prediction (docs/benchmarks-inference.md).
   */
  private int transactionLimit() {
    int batches = Math.min(MODEL_BATCHES_PER_TRANSACTION, FIRST_MODEL_BATCHES << Math.min(20, transactionsHandedOver));
    return batches * maxBatchSize;
  }

  private void dropRevoked(Collection<TopicPartition> partitions) {
    // the transaction in flight may hold these partitions' offsets: it ends before they are given up
    commits.awaitQuietly();
    int dropped = batcher.drop(partitions);
    if (dropped > 0) {
      LOG.info("partitions {} revoked: dropped {} buffered samples (not committed; their new owner reads them)",
          partitions, dropped);
    }
  }

  @Override
  protected void cleanup() {
    decoder.shutdown();
    batcher.failRequests(new UnavailableException("the prediction loop is stopped"));
    clientMetrics.forEach(KafkaClientMetrics::close);
    try {
      commits.close();
      source.close();
    } finally {
      sink.close();
    }
  }

  private void process(MicroBatcher.Batch batch) {
    LoadedModel model = holder.acquire();
    if (model == null) {
      // cannot happen after the first model loaded (models are only replaced), but never drop records
      source.rewind(batch.records());
      batch.requests().forEach(r -> r.result().completeExceptionally(new UnavailableException("no model loaded")));
      return;
    }
    try {
      List<ConsumerRecord<String, byte[]>> records = batch.records();
      int n = model.manifest().input().size();
      SampleRows rows = new SampleRows(rowBuffer, records.size() + SampleRows.requestSamples(batch), n);
      if (rows.x.length <= maxBatchSize * MODEL_BATCHES_PER_TRANSACTION * n) {
        rowBuffer = rows.x; // a full transaction's worth at most (large HTTP batches are not kept)
      }
      List<BatchScorer.Scored> scored;
      if (records.size() >= DECODE_AHEAD_MODEL_BATCHES * maxBatchSize && batch.requests().isEmpty()) {
        scored = scoreRecords(model, records, rows); // a backlog: decoding overlaps scoring
      } else {
        // one pass, HTTP rows right after the Kafka rows: they share the model calls
        long start = System.nanoTime();
        if (!records.isEmpty()) {
          rows.add(SampleRows.decode(model, records, validator, rows.x, 0));
        }
        int kafkaRows = rows.records.size();
        rows.addRequests(model, batch, kafkaRows);
        metrics.preprocess(System.nanoTime() - start);
        List<BatchScorer.Scored> all = scorer.score(model, rows.x, 0, rows.samples);
        answer(rows.accepted, all.subList(kafkaRows, all.size()));
        scored = all.subList(0, kafkaRows);
      }
      if (!records.isEmpty()) {
        commit(records, rows, scored);
      }
    } finally {
      model.release();
    }
  }

  /**
   * Decodes and scores the Kafka records (no HTTP rows) one model batch at a time, the next
   * chunk decoded on the decoder thread while the model scores this one (decoding was a tenth of
   * the loop's time at a backlog, and the other core has room for it).
   */
  private List<BatchScorer.Scored> scoreRecords(LoadedModel model, List<ConsumerRecord<String, byte[]>> records,
      SampleRows rows) {
    List<BatchScorer.Scored> scored = new ArrayList<>(records.size());
    long decodeNanos = 0;
    SampleRows.Chunk chunk = records.isEmpty() ? null : decode(model, records, 0, rows.x);
    CompletableFuture<SampleRows.Chunk> ahead = null;
    try {
      while (chunk != null) {
        int next = chunk.firstRow() + maxBatchSize;
        ahead = next < records.size()
            ? CompletableFuture.supplyAsync(() -> decode(model, records, next, rows.x), decoder) : null;
        rows.add(chunk);
        decodeNanos += chunk.nanos();
        scored.addAll(scorer.score(model, rows.x, chunk.firstRow(), chunk.samples()));
        chunk = ahead == null ? null : ahead.join();
        ahead = null;
      }
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    } finally {
      if (ahead != null) {
        ahead.handle((c, e) -> null).join(); // never leave a decode writing into the rows buffer
      }
    }
    metrics.preprocess(decodeNanos);
    return scored;
  }

  private SampleRows.Chunk decode(LoadedModel model, List<ConsumerRecord<String, byte[]>> records, int from, float[] x) {
    return SampleRows.decode(model, records.subList(from, Math.min(records.size(), from + maxBatchSize)), validator, x,
        from);
  }

  /** Predictions and dead letters of the Kafka rows, with the batch's offsets, in one transaction. */
  private void commit(List<ConsumerRecord<String, byte[]>> consumed, SampleRows rows, List<BatchScorer.Scored> scored) {
    List<TransactionalSink.Output> predictions = new ArrayList<>(scored.size());
    List<TransactionalSink.DeadLetter> deadLetters = new ArrayList<>();
    for (int i = 0; i < scored.size(); i++) {
      BatchScorer.Scored s = scored.get(i);
      if (s.prediction() != null) {
        ConsumerRecord<String, byte[]> source = rows.records.get(i);
        predictions.add(new TransactionalSink.Output(s.prediction(), new SamplePosition(source.partition(), source.offset())));
      } else {
        deadLetters.add(new TransactionalSink.DeadLetter(rows.records.get(i),
            new InvalidEventException(RejectReason.MODEL_ERROR, s.error())));
      }
    }
    deadLetters.addAll(rows.rejected);
    if (reread(commits.await(), consumed)) {
      return; // the transaction before failed: this batch came after its records and is read again with them
    }
    commits.submit(consumed, predictions, deadLetters, source.groupMetadata());
    transactionsHandedOver++; // a failed one rewinds its records; the ramp need not restart
    reread(commits.finished(), List.of()); // committed already when the committer is the calling thread
  }

  /**
   * After a transaction that failed: seeks back to its first records, so they and everything consumed
   * after them ({@code after}, the buffer) are read again; nothing of theirs was committed.
   *
   * @return true when {@code outcome} failed and the records were rewound
   */
  private boolean reread(CommitPipeline.Outcome outcome, List<ConsumerRecord<String, byte[]>> after) {
    if (outcome == null || outcome.committed()) {
      return false;
    }
    List<ConsumerRecord<String, byte[]>> again = new ArrayList<>(outcome.consumed());
    again.addAll(after);
    again.addAll(batcher.takeRecords());
    source.rewind(again);
    return true;
  }

  private static void answer(List<MicroBatcher.HttpRequest> requests, List<BatchScorer.Scored> scored) {
    int at = 0;
    for (MicroBatcher.HttpRequest req : requests) {
      List<Prediction> out = new ArrayList<>(req.samples().size());
      String error = null;
      for (int i = 0; i < req.samples().size(); i++) {
        BatchScorer.Scored s = scored.get(at++);
        if (s.error() != null && error == null) {
          error = "sample " + i + ": " + s.error();
        }
        out.add(s.prediction());
      }
      if (error != null) {
        req.result().completeExceptionally(new IllegalStateException(error));
      } else {
        req.result().complete(out);
      }
    }
  }
}
