package dev.osprey.inference;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SampleValidator;
import dev.osprey.core.service.ClientThreadWork;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.topic.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consume -> micro-batch -> predict -> produce loop, on one thread that owns the consumer, the
 * transactional producer and the buffer.
 *
 * <p>Batching: records accumulate until {@code maxBatchSize} samples are buffered or the oldest has
 * waited {@code maxBatchDelay}; HTTP requests join the same batches. With a backlog, one poll
 * brings up to {@value #MODEL_BATCHES_PER_TRANSACTION} model batches, all handled together. What
 * is handled together runs on one retained model (so it never mixes versions) and is one Kafka
 * transaction: its predictions, its dead
 * letters and its consumed offsets ({@code sendOffsetsToTransaction} with the consumer's group
 * metadata) commit together or not at all. Consumers downstream read {@code read_committed}.
 *
 * <p>Failures: a sample that does not decode or does not fit the model goes to the DLQ in the
 * batch's transaction (never a crash loop). A transaction that fails is aborted and the consumer
 * rewound to the batch's first offsets, so the batch runs again. A fenced producer (another
 * instance took this transactional id) stops the loop: the service reports unhealthy.
 *
 * <p>Rebalances: transactions always finish before the next poll, so nothing is in flight across
 * a rebalance except the buffer; on revoke the buffered records of the revoked partitions are
 * dropped (their offsets were never committed, so the new owner reads them again).
 */
final class PredictionLoop extends ClientThreadWork {
  private static final Logger LOG = LoggerFactory.getLogger(PredictionLoop.class);
  private static final Duration IDLE_POLL = Duration.ofMillis(100);
  /** Most model calls (of maxBatchSize samples) in one transaction when records are waiting. */
  static final int MODEL_BATCHES_PER_TRANSACTION = 8;

  /** An HTTP predict request waiting for its batch. */
  record HttpRequest(List<Sample> samples, CompletableFuture<List<Prediction>> result) {}

  /** The HTTP request cannot be served now (no model yet, or the loop stopped). */
  static final class UnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnavailableException(String message) {
      super(message);
    }
  }

  /** An HTTP sample does not fit the model; {@code index} is its position in the request. */
  static final class RejectedSampleException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient InvalidEventException reject;
    private final int index;

    RejectedSampleException(int index, InvalidEventException reject) {
      super("sample " + index + ": " + reject.detail());
      this.reject = reject;
      this.index = index;
    }

    InvalidEventException reject() {
      return reject;
    }

    int index() {
      return index;
    }
  }

  private final InferenceConfig config;
  private final Topics topics;
  private final EventCodec codec;
  private final SampleValidator validator;
  private final ModelHolder holder;
  private final BatchScorer scorer;
  private final InferenceMetrics metrics;
  private final Clock clock;
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final KafkaClientMetrics consumerMetrics;
  private final KafkaClientMetrics producerMetrics;
  private final ConcurrentLinkedQueue<HttpRequest> httpQueue = new ConcurrentLinkedQueue<>();
  private final List<ConsumerRecord<String, byte[]>> buffer = new ArrayList<>();
  private final List<HttpRequest> httpBatch = new ArrayList<>();
  private long oldestBufferedNanos;
  private int httpSamples;
  private volatile boolean subscribed;

  PredictionLoop(InferenceConfig config, KafkaClients kafka, Topics topics, EventCodec codec, ModelHolder holder,
      InferenceMetrics metrics, Clock clock) {
    super(LOG);
    this.config = config;
    this.topics = topics;
    this.codec = codec;
    this.validator = new SampleValidator(codec, SampleValidator.DEFAULT_MAX_BYTES);
    this.holder = holder;
    this.metrics = metrics;
    this.clock = clock;
    this.scorer = new BatchScorer(config.maxBatchSize(), config.emitEmbedding(), metrics, clock);
    this.consumer = new KafkaConsumer<>(consumerProperties(config, kafka), new StringDeserializer(), new ByteArrayDeserializer());
    this.producer = new KafkaProducer<>(producerProperties(config, kafka), new StringSerializer(), new ByteArraySerializer());
    // the clients' own metrics (fetch lag, request latency, batch sizes, ...) beside Osprey's
    this.consumerMetrics = new KafkaClientMetrics(consumer);
    this.producerMetrics = new KafkaClientMetrics(producer);
    consumerMetrics.bindTo(metrics.registry());
    producerMetrics.bindTo(metrics.registry());
  }

  static Properties consumerProperties(InferenceConfig config, KafkaClients kafka) {
    Properties p = kafka.readCommittedConsumerConfig(config.transactionalId() + "-samples", Map.of());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    // Static membership: a restarted instance takes its partitions back at once instead of
    // waiting a session timeout for a rebalance, and a zombie with the same id is fenced.
    p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.transactionalId());
    // A backlog is taken several model batches per transaction: a commit costs broker round
    // trips (~10-20 ms), which capped throughput at one model batch per commit.
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(config.maxBatchSize() * MODEL_BATCHES_PER_TRANSACTION));
    return p;
  }

  static Properties producerProperties(InferenceConfig config, KafkaClients kafka) {
    Properties p = kafka.transactionalProducerConfig(config.transactionalId(), config.transactionalId() + "-predictions",
        Map.of());
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    return p;
  }

  /** Queues an HTTP request into the next batch; the future fails with {@link UnavailableException} when no model serves. */
  CompletableFuture<List<Prediction>> submit(List<Sample> samples) {
    CompletableFuture<List<Prediction>> f = new CompletableFuture<>();
    if (!running()) {
      f.completeExceptionally(new UnavailableException("the prediction loop is stopped"));
    } else if (holder.peek() == null) {
      f.completeExceptionally(new UnavailableException("no model loaded yet"));
    } else {
      httpQueue.add(new HttpRequest(List.copyOf(samples), f));
      consumer.wakeup();
    }
    return f;
  }

  boolean isSubscribed() {
    return subscribed;
  }

  @Override
  protected Consumer<?, ?> consumer() {
    return consumer;
  }

  @Override
  protected void work() throws InterruptedException {
    try {
      // Fences an earlier incarnation with this transactional id and aborts its open transaction.
      producer.initTransactions();
      while (running() && !holder.awaitModel(IDLE_POLL)) {
        failHttp(new UnavailableException("no model loaded yet"));
      }
      if (running()) {
        consumer.subscribe(List.of(topics.samples().name()), new Rebalance());
        subscribed = true;
      }
      while (running()) {
        poll();
        if (due()) {
          processBatch();
        }
      }
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      fail(e, "inference producer " + config.transactionalId() + " was fenced: another instance runs with this "
          + "transactional id; this instance stops consuming");
    }
  }

  @Override
  protected void cleanup() {
    failHttp(new UnavailableException("the prediction loop is stopped"));
    consumerMetrics.close();
    producerMetrics.close();
    try {
      consumer.close(Duration.ofSeconds(5));
    } finally {
      producer.close(Duration.ofSeconds(5));
    }
  }

  private void poll() {
    Duration timeout = IDLE_POLL;
    if (!buffer.isEmpty() || !httpBatch.isEmpty()) {
      long waited = System.nanoTime() - oldestBufferedNanos;
      timeout = Duration.ofNanos(Math.max(0, config.maxBatchDelay().toNanos() - waited));
    }
    try {
      ConsumerRecords<String, byte[]> records = consumer.poll(timeout);
      for (ConsumerRecord<String, byte[]> r : records) {
        noteArrival();
        buffer.add(r);
      }
      updateLag();
    } catch (WakeupException e) {
      // an HTTP request arrived or stop() was called: look at both below
    }
    for (HttpRequest r; (r = httpQueue.poll()) != null; ) {
      noteArrival();
      httpBatch.add(r);
      httpSamples += r.samples().size();
    }
  }

  private void noteArrival() {
    if (buffer.isEmpty() && httpBatch.isEmpty()) {
      oldestBufferedNanos = System.nanoTime();
    }
  }

  private boolean due() {
    int pending = buffer.size() + httpSamples;
    return pending > 0 && (pending >= config.maxBatchSize()
        || System.nanoTime() - oldestBufferedNanos >= config.maxBatchDelay().toNanos() || !running());
  }

  private void updateLag() {
    long lag = 0;
    for (TopicPartition tp : consumer.assignment()) {
      lag += consumer.currentLag(tp).orElse(0);
    }
    metrics.consumerLag(lag);
  }

  /** One row per sample that fits the model; the rest are rejected. */
  private static final class Rows {
    final List<Sample> samples = new ArrayList<>();
    final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    final List<ConsumerRecord<String, byte[]>> rejected = new ArrayList<>();
    final List<InvalidEventException> reasons = new ArrayList<>();
    float[] x;
  }

  private void processBatch() {
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>(buffer);
    List<HttpRequest> requests = new ArrayList<>(httpBatch);
    buffer.clear();
    httpBatch.clear();
    httpSamples = 0;
    LoadedModel model = holder.acquire();
    if (model == null) {
      // cannot happen after the first model loaded (models are only replaced), but never drop records
      rewind(records);
      requests.forEach(r -> r.result().completeExceptionally(new UnavailableException("no model loaded")));
      return;
    }
    try {
      int n = model.manifest().input().size();
      Rows rows = new Rows();
      rows.x = new float[(records.size() + requests.stream().mapToInt(r -> r.samples().size()).sum()) * n];
      for (ConsumerRecord<String, byte[]> r : records) {
        try {
          Sample s = validator.parse(r.value());
          normalize(model, s, rows.x, rows.samples.size() * n);
          rows.samples.add(s);
          rows.records.add(r);
        } catch (InvalidEventException e) {
          rows.rejected.add(r);
          rows.reasons.add(e);
        }
      }
      int kafkaRows = rows.samples.size();
      List<HttpRequest> accepted = new ArrayList<>();
      for (HttpRequest req : requests) {
        if (addHttpRows(model, req, rows, n)) {
          accepted.add(req);
        }
      }
      List<BatchScorer.Scored> scored = scorer.score(model, rows.x, rows.samples);
      answerHttp(accepted, scored.subList(kafkaRows, scored.size()));
      if (!records.isEmpty()) {
        commit(records, rows, scored.subList(0, kafkaRows));
      }
    } finally {
      model.release();
    }
  }

  private static void normalize(LoadedModel model, Sample s, float[] x, int offset) throws InvalidEventException {
    if (s.tensor() == null) {
      throw new InvalidEventException(RejectReason.INCOMPATIBLE_INPUT,
          "model " + model.ref() + " takes a " + model.manifest().input().dtype().wireName() + " tensor "
              + model.manifest().input().shape() + "; this sample has tabular features");
    }
    model.manifest().input().normalize(s.tensor(), x, offset);
  }

  /** Adds all of a request's rows, or none: a request with one sample that does not fit fails whole. */
  private static boolean addHttpRows(LoadedModel model, HttpRequest req, Rows rows, int n) {
    int start = rows.samples.size();
    for (int i = 0; i < req.samples().size(); i++) {
      try {
        SampleValidator.check(req.samples().get(i));
        normalize(model, req.samples().get(i), rows.x, (start + i) * n);
      } catch (InvalidEventException e) {
        req.result().completeExceptionally(new RejectedSampleException(i, e));
        return false;
      }
    }
    rows.samples.addAll(req.samples());
    return true;
  }

  private static void answerHttp(List<HttpRequest> requests, List<BatchScorer.Scored> scored) {
    int at = 0;
    for (HttpRequest req : requests) {
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

  /** Predictions, dead letters and consumed offsets of the Kafka records, in one transaction. */
  private void commit(List<ConsumerRecord<String, byte[]>> records, Rows rows, List<BatchScorer.Scored> scored) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      offsets.merge(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1),
          (a, b) -> a.offset() >= b.offset() ? a : b);
    }
    List<Prediction> committed = new ArrayList<>(scored.size());
    List<String> deadLetterReasons = new ArrayList<>();
    try {
      producer.beginTransaction();
      for (int i = 0; i < scored.size(); i++) {
        BatchScorer.Scored s = scored.get(i);
        ConsumerRecord<String, byte[]> r = rows.records.get(i);
        if (s.prediction() != null) {
          producer.send(new ProducerRecord<>(topics.predictions().name(), s.prediction().sampleId(),
              codec.encode(s.prediction())));
          committed.add(s.prediction());
        } else {
          deadLetter(r, new InvalidEventException(RejectReason.MODEL_ERROR, s.error()));
          deadLetterReasons.add(RejectReason.MODEL_ERROR.code());
        }
      }
      for (int i = 0; i < rows.rejected.size(); i++) {
        deadLetter(rows.rejected.get(i), rows.reasons.get(i));
        deadLetterReasons.add(rows.reasons.get(i).reason().code());
      }
      producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      producer.commitTransaction();
    } catch (ProducerFencedException | InvalidProducerEpochException | OutOfOrderSequenceException
        | AuthorizationException e) {
      throw e; // this producer cannot go on: fatal, see run()
    } catch (KafkaException e) {
      LOG.warn("transaction of {} records failed ({}); aborting and reading them again", records.size(), e.toString());
      abortQuietly();
      metrics.transaction("aborted");
      rewind(records);
      return;
    }
    metrics.transaction("committed");
    long now = clock.millis();
    for (Prediction p : committed) {
      metrics.endToEnd(p.modelVersion(), now - p.sampleTimestamp());
    }
    deadLetterReasons.forEach(metrics::deadLetter);
  }

  private void deadLetter(ConsumerRecord<String, byte[]> r, InvalidEventException reason) {
    producer.send(DeadLetterHeaders.record(topics.dlq().name(), r, reason));
  }

  private void abortQuietly() {
    try {
      producer.abortTransaction();
    } catch (KafkaException e) {
      LOG.warn("abort failed too: {}", e.toString());
    }
  }

  /** Seeks every still-assigned partition of {@code records} back to its first record in the batch. */
  private void rewind(List<ConsumerRecord<String, byte[]>> records) {
    Map<TopicPartition, Long> first = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
    }
    var assigned = consumer.assignment();
    first.forEach((tp, offset) -> {
      if (assigned.contains(tp)) {
        consumer.seek(tp, offset);
      }
    });
  }

  private void failHttp(RuntimeException cause) {
    for (HttpRequest r; (r = httpQueue.poll()) != null; ) {
      r.result().completeExceptionally(cause);
    }
    httpBatch.forEach(r -> r.result().completeExceptionally(cause));
    httpBatch.clear();
    httpSamples = 0;
  }

  /** Drops buffered records of partitions this instance no longer owns; their offsets were never committed. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      drop(partitions, "revoked");
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      drop(partitions, "lost");
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      LOG.info("inference {} assigned {}", config.transactionalId(), partitions);
    }

    private void drop(Collection<TopicPartition> partitions, String why) {
      int before = buffer.size();
      buffer.removeIf(r -> partitions.contains(new TopicPartition(r.topic(), r.partition())));
      if (before != buffer.size()) {
        LOG.info("partitions {} {}: dropped {} buffered samples (not committed; their new owner reads them)",
            partitions, why, before - buffer.size());
      }
    }
  }
}
