package dev.osprey.monitor.service;

import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.service.ClientThreadWork;
import dev.osprey.core.topic.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * The monitor's consume-process-produce loop, exactly-once: records from the predictions and
 * outcomes topics (and samples, for input summaries) go through the {@link MonitorProcessor}; each
 * transaction holds the drift reports they caused, the saved state of every model they changed
 * (on the compacted state topic) and the consumed offsets. A crash therefore loses or repeats
 * nothing: the restarted monitor reads the last committed state and resumes at the offsets
 * committed with it. A transaction ends after {@code commitInterval} or when a poll returns
 * nothing. Any failure to commit ends the loop ({@link #fatal()}); a restart recovers.
 */
final class MonitorLoop extends ClientThreadWork {
  private static final Logger log = LoggerFactory.getLogger(MonitorLoop.class);
  private static final Duration POLL = Duration.ofMillis(100);

  private final Topics topics;
  private final String stateTopic;
  private final MonitorProcessor processor;
  private final Consumer<String, byte[]> consumer;
  private final Producer<String, byte[]> producer;
  private final MonitorMetrics metrics;
  private final long commitMillis;
  private final Clock clock;
  private final EventCodec codec = new EventCodec();
  private final MonitorStateCodec states = new MonitorStateCodec();
  private boolean inTransaction;
  private long transactionStart;

  /**
   * @param consumer subscribed here to the input topics (group = the application id, read_committed, no auto-commit); closed here
   * @param producer transactional, {@code initTransactions()} done; closed here
   */
  MonitorLoop(Topics topics, String stateTopic, MonitorProcessor processor, Consumer<String, byte[]> consumer,
      Producer<String, byte[]> producer, MonitorMetrics metrics, Duration commitInterval, Clock clock) {
    super(log);
    this.topics = topics;
    this.stateTopic = stateTopic;
    this.processor = processor;
    this.consumer = consumer;
    this.producer = producer;
    this.metrics = metrics;
    this.commitMillis = commitInterval.toMillis();
    this.clock = clock;
  }

  /** The input topics: predictions and outcomes, plus samples when input summaries are joined. */
  static List<String> inputs(Topics topics, MonitorSettings settings) {
    return settings.inputSummaries()
        ? List.of(topics.predictions().name(), topics.outcomes().name(), topics.samples().name())
        : List.of(topics.predictions().name(), topics.outcomes().name());
  }

  void start(List<String> inputs) {
    consumer.subscribe(inputs);
    startThread("osprey-monitor-loop");
  }

  @Override
  protected Consumer<?, ?> consumer() {
    return consumer;
  }

  @Override
  protected void work() {
    while (running()) {
      ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
      for (ConsumerRecord<String, byte[]> r : records) {
        if (!inTransaction) {
          producer.beginTransaction();
          inTransaction = true;
          transactionStart = clock.millis();
        }
        process(r);
      }
      if (inTransaction && (records.isEmpty() || clock.millis() - transactionStart >= commitMillis)) {
        commit();
      }
    }
  }

  private void process(ConsumerRecord<String, byte[]> r) {
    String topic = r.topic();
    try {
      if (topic.equals(topics.predictions().name())) {
        Prediction p = codec.decodePrediction(r.value());
        for (DriftReport report : processor.onPrediction(p, r.partition(), r.offset())) {
          producer.send(new ProducerRecord<>(topics.drift().name(), report.key(), codec.encode(report)));
          metrics.report(report.modelName(), report.detector(), report.state().name());
          log.info("drift {} {} of {}:{} at sample {} (statistic {} vs threshold {}, onset {})", report.state(),
              report.detector(), report.modelName(), report.modelVersion(), report.samplesSeen(), report.statistic(),
              report.threshold(), report.onsetSampleId());
        }
      } else if (topic.equals(topics.outcomes().name())) {
        Outcome o = codec.decodeOutcome(r.value());
        processor.onOutcome(o);
        metrics.labelDelay(o.modelName(), o.modelVersion(), o.delayMillis());
      } else {
        processor.onSample(codec.decodeSample(r.value()));
      }
      metrics.record(topic);
    } catch (InvalidEventException e) {
      metrics.skipped(topic, e.reason().code());
      log.warn("skipped {}-{}@{}: {} ({})", topic, r.partition(), r.offset(), e.detail(), e.reason().code());
    } catch (IllegalArgumentException e) {
      metrics.skipped(topic, "inconsistent");
      log.warn("skipped {}-{}@{}: {}", topic, r.partition(), r.offset(), e.getMessage());
    }
  }

  private void commit() {
    for (Map.Entry<String, ModelStream.State> e : processor.dirtyStates().entrySet()) {
      producer.send(new ProducerRecord<>(stateTopic, e.getKey(), states.encode(e.getValue())));
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : consumer.assignment()) {
      offsets.put(tp, new OffsetAndMetadata(consumer.position(tp)));
    }
    producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
    producer.commitTransaction();
    inTransaction = false;
    metrics.transaction();
    metrics.publish(processor.view());
  }

  /** Aborts an open transaction (a restart would abort it too) and closes the clients. */
  @Override
  protected void cleanup() {
    try {
      if (inTransaction) {
        producer.abortTransaction();
      }
    } catch (RuntimeException e) {
      log.debug("abort on close failed (a restart aborts it): {}", e.toString());
    } finally {
      try {
        producer.close(Duration.ofSeconds(5));
      } finally {
        consumer.close(Duration.ofSeconds(5));
      }
    }
  }
}
