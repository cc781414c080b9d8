package dev.osprey.inference;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.topic.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transactional sink: one batch's predictions (each with its sample's position as a header), its dead letters and the offsets of the records
 * it consumed ({@code sendOffsetsToTransaction} with the consumer's group metadata) commit together
 * or not at all. A transaction that fails is aborted and reported, so the caller rewinds and the
 * batch runs again; a producer that cannot go on (fenced by another instance with the same
 * transactional id, or refused) throws. Used by one thread at a time: the {@link CommitPipeline}'s.
 */
final class TransactionalSink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionalSink.class);

  /** A prediction, and where its sample was read (written as the record's {@link SamplePosition#HEADER}). */
  record Output(Prediction prediction, SamplePosition sample) {}

  /** A consumed record that goes to the DLQ, and why. */
  record DeadLetter(ConsumerRecord<String, byte[]> record, InvalidEventException reason) {}

  private final Producer<String, byte[]> producer;
  private final String predictionsTopic;
  private final String dlqTopic;
  private final EventCodec codec;
  private final InferenceMetrics metrics;
  private final Clock clock;

  TransactionalSink(Producer<String, byte[]> producer, Topics topics, EventCodec codec, InferenceMetrics metrics,
      Clock clock) {
    this.producer = producer;
    this.predictionsTopic = topics.predictions().name();
    this.dlqTopic = topics.dlq().name();
    this.codec = codec;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Fences an earlier incarnation with this transactional id and aborts its open transaction. */
  void init() {
    producer.initTransactions();
  }

  /**
   * Fetches the predictions' and dead letters' topic metadata, which the first {@code send} would
   * otherwise wait for inside the first transaction. Best effort: a failure is only logged (the
   * first send looks them up again and reports what is wrong).
   */
  void lookUpTopics() {
    try {
      producer.partitionsFor(predictionsTopic);
      producer.partitionsFor(dlqTopic);
    } catch (RuntimeException e) { // also a producer closed by a stop right after the start
      LOG.debug("looking up {} and {} ahead of the first transaction failed: {}", predictionsTopic, dlqTopic, e.toString());
    }
  }

  /**
   * Writes {@code predictions} and {@code deadLetters} and commits the offsets of {@code consumed}
   * in one transaction.
   *
   * @return true when committed; false when the transaction failed and was aborted (nothing of it
   *     is visible to read_committed consumers; the caller rewinds {@code consumed})
   * @throws ProducerFencedException or another error after which this producer cannot go on
   */
  boolean commit(List<ConsumerRecord<String, byte[]>> consumed, List<Output> predictions,
      List<DeadLetter> deadLetters, ConsumerGroupMetadata group) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : consumed) {
      offsets.merge(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1),
          (a, b) -> a.offset() >= b.offset() ? a : b);
    }
    long start = System.nanoTime();
    try {
      producer.beginTransaction();
      for (Output o : predictions) {
        Prediction p = o.prediction();
        RecordHeaders headers = new RecordHeaders();
        headers.add(SamplePosition.HEADER, o.sample().headerValue());
        producer.send(new ProducerRecord<>(predictionsTopic, null, p.sampleId(), codec.encode(p), headers));
      }
      for (DeadLetter d : deadLetters) {
        producer.send(DeadLetterHeaders.record(dlqTopic, d.record(), d.reason()));
      }
      producer.sendOffsetsToTransaction(offsets, group);
      producer.commitTransaction();
    } catch (ProducerFencedException | InvalidProducerEpochException | OutOfOrderSequenceException
        | AuthorizationException e) {
      throw e; // this producer cannot go on: fatal for the loop
    } catch (KafkaException e) {
      LOG.warn("transaction of {} records failed ({}); aborting and reading them again", consumed.size(), e.toString());
      abortQuietly();
      metrics.transaction("aborted");
      return false;
    }
    metrics.transaction(System.nanoTime() - start);
    metrics.transaction("committed");
    long now = clock.millis();
    for (Output o : predictions) {
      metrics.endToEnd(o.prediction().modelVersion(), now - o.prediction().sampleTimestamp());
    }
    for (DeadLetter d : deadLetters) {
      metrics.deadLetter(d.reason().reason().code());
    }
    if (!predictions.isEmpty() && metrics.awaitingFirstPrediction()) {
      double startup = metrics.firstPredictionCommitted(System.currentTimeMillis(),
          java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime());
      if (!Double.isNaN(startup)) {
        LOG.info("first prediction committed {} s after the process started",
            String.format(java.util.Locale.ROOT, "%.2f", startup));
      }
    }
    return true;
  }

  private void abortQuietly() {
    try {
      producer.abortTransaction();
    } catch (KafkaException e) {
      LOG.warn("abort failed too: {}", e.toString());
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
