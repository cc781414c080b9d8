package dev.osprey.ingest;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.topic.JsonSerde;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * The two label joins, as a pure builder: {@code samples ⋈ feedback -> labeled} (the trainer's
 * input, {@link LabeledSample#of}) and {@code predictions ⋈ feedback -> outcomes} (online accuracy,
 * {@link Outcome#of}). All three inputs are keyed by sample id and must have the same number of
 * partitions, so one task sees everything about an id and nothing is repartitioned.
 *
 * <p>The rules (tested in {@code LabelJoinTopologyTest}):
 * <ul>
 *   <li>Either side may come first. What arrives first waits in a state store for the other, for
 *       at most the join window (stream time, i.e. the largest record timestamp the task has seen,
 *       minus the record's own timestamp). A label keeps waiting after it joined, so a prediction
 *       that comes after the sample still meets it.
 *   <li>First label wins. A later label for an id whose label is still in the window does not
 *       join: it goes to the DLQ as {@code duplicate-label} (same class) or {@code conflicting-label}
 *       (another class), and is counted. After the window, an id is forgotten.
 *   <li>A label that no sample and no prediction met within the window goes to the DLQ as
 *       {@code unmatched-label} when the window closes. Samples and predictions that leave the
 *       window unlabeled are counted and dropped.
 *   <li>A label outside the predicting model's classes goes to the DLQ as {@code invalid-field}
 *       (the labeled sample, which knows no model, is still written).
 *   <li>One labeled sample per id, one outcome per prediction.
 * </ul>
 * Output timestamps (record and {@code timestamp} field) are the timestamp of the record that
 * completed the join, so replays are reproducible. Dead letters carry the label re-encoded (JSON)
 * and the usual DLQ headers. Stores are bounded by the window: expired entries are removed by a
 * stream-time punctuation every {@code window / 12} (at most a minute), through a time index.
 * Exactly-once comes from running it with {@code exactly_once_v2} (the stores are changelogged).
 */
public final class LabelJoinTopology {
  public static final String SAMPLES_STORE = "osprey-join-samples";
  public static final String PREDICTIONS_STORE = "osprey-join-predictions";
  public static final String LABELS_STORE = "osprey-join-labels";
  /** Time index of the three stores: {@code <16 hex digits of the timestamp><kind><store key>}. */
  public static final String EXPIRY_STORE = "osprey-join-expiry";
  /** The default join window: generous, labels often come late. */
  public static final Duration DEFAULT_WINDOW = Duration.ofHours(1);

  // Sample ids hold no control characters (SampleIds), so NUL separates key parts safely.
  private static final char SEP = '\u0000';
  private static final char SAMPLE = 'S';
  private static final char PREDICTION = 'P';
  private static final char LABEL = 'L';

  private LabelJoinTopology() {}

  /**
   * A label waiting in the store, with where it came from (for a later dead letter) and what it met.
   *
   * @param feedback the first label of the id
   * @param timestamp its record timestamp (when it leaves the window)
   * @param topic its source topic
   * @param partition its source partition
   * @param offset its source offset
   * @param labeledWritten whether the labeled sample of this id was written
   * @param matched whether a sample or a prediction met it
   */
  public record PendingLabel(Feedback feedback, long timestamp, String topic, int partition, long offset,
      boolean labeledWritten, boolean matched) {
    PendingLabel met(boolean labeled) {
      return new PendingLabel(feedback, timestamp, topic, partition, offset, labeledWritten || labeled, true);
    }
  }

  /** One input of the join processor. */
  sealed interface Input {
    record OfSample(Sample sample) implements Input {}

    record OfPrediction(Prediction prediction) implements Input {}

    record OfLabel(Feedback feedback) implements Input {}
  }

  /** One output: a labeled sample, an outcome, or a dead letter (headers say why). */
  sealed interface Output {
    record Labeled(LabeledSample event) implements Output {}

    record Scored(Outcome event) implements Output {}

    record DeadLetter(byte[] value) implements Output {}
  }

  /**
   * Adds the joins to {@code builder}; running them is the caller's business.
   *
   * @param window how long either side waits for the other, > 0
   * @throws IllegalArgumentException if the window is not positive
   */
  public static void build(StreamsBuilder builder, Topics topics, Duration window, LabelJoinMetrics metrics) {
    if (window == null || window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("join window must be > 0, got " + window);
    }
    EventCodec codec = new EventCodec();
    // Timestamped: a waiting sample or prediction carries its record timestamp, so a label can tell
    // whether it is still in the window before the next expiry run removes it.
    builder.addStateStore(Stores.timestampedKeyValueStoreBuilder(
        Stores.persistentTimestampedKeyValueStore(SAMPLES_STORE), Serdes.String(), topics.samples().valueSerde()));
    builder.addStateStore(Stores.timestampedKeyValueStoreBuilder(
        Stores.persistentTimestampedKeyValueStore(PREDICTIONS_STORE), Serdes.String(),
        topics.predictions().valueSerde()));
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(LABELS_STORE), Serdes.String(), new JsonSerde<>(codec, PendingLabel.class)));
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(EXPIRY_STORE), Serdes.String(), Serdes.String()));

    KStream<String, Input> samples = source(builder, topics.samples(), "join-samples")
        .mapValues(s -> (Input) new Input.OfSample(s), Named.as("join-samples-input"));
    KStream<String, Input> predictions = source(builder, topics.predictions(), "join-predictions")
        .mapValues(p -> (Input) new Input.OfPrediction(p), Named.as("join-predictions-input"));
    KStream<String, Input> labels = source(builder, topics.feedback(), "join-feedback")
        .mapValues(f -> (Input) new Input.OfLabel(f), Named.as("join-feedback-input"));
    KStream<String, Output> out = samples
        .merge(predictions, Named.as("join-merge-predictions"))
        .merge(labels, Named.as("join-merge-feedback"))
        .process(() -> new JoinProcessor(window, codec, topics.feedback().name(), metrics), Named.as("join-labels"),
            SAMPLES_STORE, PREDICTIONS_STORE, LABELS_STORE, EXPIRY_STORE);
    sink(out.filter((k, v) -> v instanceof Output.Labeled, Named.as("join-labeled"))
        .mapValues(v -> ((Output.Labeled) v).event(), Named.as("join-labeled-event")), topics.labeled(), "join-labeled-out");
    sink(out.filter((k, v) -> v instanceof Output.Scored, Named.as("join-outcomes"))
        .mapValues(v -> ((Output.Scored) v).event(), Named.as("join-outcome-event")), topics.outcomes(), "join-outcomes-out");
    sink(out.filter((k, v) -> v instanceof Output.DeadLetter, Named.as("join-rejected"))
        .mapValues(v -> ((Output.DeadLetter) v).value(), Named.as("join-rejected-bytes")), topics.dlq(), "join-dlq");
  }

  private static <T> KStream<String, T> source(StreamsBuilder builder, Topic<String, T> topic, String name) {
    return builder.stream(topic.name(), Consumed.with(topic.keySerde(), topic.valueSerde()).withName(name));
  }

  private static <T> void sink(KStream<String, T> stream, Topic<String, T> topic, String name) {
    stream.to(topic.name(), Produced.with(topic.keySerde(), topic.valueSerde()).withName(name));
  }

  /** The join of one task: stores, rules and expiry. */
  private static final class JoinProcessor implements Processor<String, Input, String, Output> {
    private final long windowMillis;
    private final Duration expiryEvery;
    private final EventCodec codec;
    private final String feedbackTopic;
    private final LabelJoinMetrics metrics;
    private ProcessorContext<String, Output> context;
    private TimestampedKeyValueStore<String, Sample> samples;
    private TimestampedKeyValueStore<String, Prediction> predictions;
    private KeyValueStore<String, PendingLabel> labels;
    private KeyValueStore<String, String> expiry;

    JoinProcessor(Duration window, EventCodec codec, String feedbackTopic, LabelJoinMetrics metrics) {
      this.windowMillis = window.toMillis();
      this.expiryEvery = Duration.ofMillis(Math.max(1, Math.min(window.toMillis() / 12, 60_000)));
      this.codec = codec;
      this.feedbackTopic = feedbackTopic;
      this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Output> context) {
      this.context = context;
      samples = context.getStateStore(SAMPLES_STORE);
      predictions = context.getStateStore(PREDICTIONS_STORE);
      labels = context.getStateStore(LABELS_STORE);
      expiry = context.getStateStore(EXPIRY_STORE);
      context.schedule(expiryEvery, PunctuationType.STREAM_TIME, this::expire);
    }

    @Override
    public void process(Record<String, Input> record) {
      Input in = record.value();
      if (in instanceof Input.OfSample s) {
        onSample(record, s.sample());
      } else if (in instanceof Input.OfPrediction p) {
        onPrediction(record, p.prediction());
      } else if (in instanceof Input.OfLabel l) {
        onLabel(record, l.feedback());
      }
    }

    /** The id's label if it is still in the window, else null. */
    private PendingLabel liveLabel(String id) {
      PendingLabel label = labels.get(id);
      return label != null && live(label.timestamp()) ? label : null;
    }

    private boolean live(long timestamp) {
      return context.currentStreamTimeMs() - timestamp <= windowMillis;
    }

    private void onSample(Record<String, Input> record, Sample sample) {
      String id = sample.id();
      PendingLabel label = liveLabel(id);
      if (label == null) {
        samples.put(id, ValueAndTimestamp.make(sample, record.timestamp()));
        index(record.timestamp(), SAMPLE, id);
      } else if (!label.labeledWritten()) {
        emitLabeled(sample, label.feedback(), record.timestamp());
        labels.put(id, label.met(true));
      }
    }

    private void onPrediction(Record<String, Input> record, Prediction prediction) {
      String id = prediction.sampleId();
      PendingLabel label = liveLabel(id);
      if (label == null) {
        String key = id + SEP + prediction.modelName() + SEP + prediction.modelVersion();
        predictions.put(key, ValueAndTimestamp.make(prediction, record.timestamp()));
        index(record.timestamp(), PREDICTION, key);
      } else {
        emitOutcome(prediction, label, record.timestamp());
        if (!label.matched()) {
          labels.put(id, label.met(false));
        }
      }
    }

    private void onLabel(Record<String, Input> record, Feedback feedback) {
      String id = feedback.sampleId();
      RecordMetadata source = context.recordMetadata().orElse(null);
      PendingLabel first = liveLabel(id);
      if (first != null) {
        boolean same = first.feedback().label() == feedback.label();
        metrics.label(same ? "duplicate" : "conflicting");
        deadLetter(feedback, record.timestamp(), record.headers(),
            new InvalidEventException(same ? RejectReason.DUPLICATE_LABEL : RejectReason.CONFLICTING_LABEL,
                "sample '" + id + "' was already labeled " + first.feedback().label() + " by "
                    + first.feedback().source() + " at " + first.feedback().timestamp() + "; the first label wins"),
            source == null ? feedbackTopic : source.topic(), source == null ? -1 : source.partition(),
            source == null ? -1 : source.offset());
        return;
      }
      metrics.label("first");
      long ts = record.timestamp();
      PendingLabel label = new PendingLabel(feedback, ts, source == null ? feedbackTopic : source.topic(),
          source == null ? -1 : source.partition(), source == null ? -1 : source.offset(), false, false);
      ValueAndTimestamp<Sample> sample = samples.get(id);
      if (sample != null && live(sample.timestamp())) {
        samples.delete(id);
        emitLabeled(sample.value(), feedback, ts);
        label = label.met(true);
      }
      List<KeyValue<String, ValueAndTimestamp<Prediction>>> waiting = new ArrayList<>();
      try (KeyValueIterator<String, ValueAndTimestamp<Prediction>> it =
          predictions.prefixScan(id + SEP, Serdes.String().serializer())) {
        it.forEachRemaining(waiting::add);
      }
      for (KeyValue<String, ValueAndTimestamp<Prediction>> kv : waiting) {
        if (live(kv.value.timestamp())) {
          predictions.delete(kv.key);
          emitOutcome(kv.value.value(), label, ts);
          label = label.met(false);
        }
      }
      labels.put(id, label);
      index(ts, LABEL, id);
    }

    private void emitLabeled(Sample sample, Feedback feedback, long timestamp) {
      LabeledSample event = LabeledSample.of(sample, feedback, timestamp);
      metrics.joined("labeled", feedback.timestamp() - sample.timestamp());
      context.forward(new Record<>(sample.id(), new Output.Labeled(event), timestamp));
    }

    private void emitOutcome(Prediction prediction, PendingLabel label, long timestamp) {
      Outcome outcome;
      try {
        outcome = Outcome.of(prediction, label.feedback(), timestamp);
      } catch (IllegalArgumentException e) {
        metrics.label("invalid");
        deadLetter(label.feedback(), timestamp, new RecordHeaders(),
            new InvalidEventException(RejectReason.INVALID_FIELD, "cannot score the prediction of "
                + prediction.modelName() + ":" + prediction.modelVersion() + ": " + e.getMessage()),
            label.topic(), label.partition(), label.offset());
        return;
      }
      metrics.joined("outcomes", outcome.delayMillis());
      context.forward(new Record<>(prediction.sampleId(), new Output.Scored(outcome), timestamp));
    }

    private void deadLetter(Feedback feedback, long timestamp, Headers original, InvalidEventException reason,
        String topic, int partition, long offset) {
      byte[] value = codec.encode(feedback);
      Headers headers = DeadLetterHeaders.of(original, reason, topic, partition, offset, value.length);
      context.forward(new Record<>(feedback.sampleId(), (Output) new Output.DeadLetter(value), timestamp, headers));
    }

    private void index(long timestamp, char kind, String key) {
      expiry.put(String.format("%016x", Math.max(0, timestamp)) + kind + key, key);
    }

    /** Removes what left the window; an unmatched label goes to the DLQ. */
    private void expire(long streamTime) {
      long cutoff = streamTime - windowMillis; // entries stamped before this are out
      if (cutoff <= 0) {
        return;
      }
      List<KeyValue<String, String>> expired = new ArrayList<>();
      try (KeyValueIterator<String, String> it = expiry.range(String.format("%016x", 0L),
          String.format("%016x", cutoff - 1) + Character.MAX_VALUE)) {
        it.forEachRemaining(expired::add);
      }
      for (KeyValue<String, String> kv : expired) {
        expiry.delete(kv.key);
        long stamped = Long.parseLong(kv.key.substring(0, 16), 16);
        char kind = kv.key.charAt(16);
        String key = kv.value;
        switch (kind) {
          case SAMPLE -> {
            if (samples.get(key) != null) {
              samples.delete(key);
              metrics.unlabeled("sample");
            }
          }
          case PREDICTION -> {
            if (predictions.get(key) != null) {
              predictions.delete(key);
              metrics.unlabeled("prediction");
            }
          }
          case LABEL -> expireLabel(key, stamped);
          default -> throw new IllegalStateException("unknown expiry kind " + kind + " in " + EXPIRY_STORE);
        }
      }
    }

    private void expireLabel(String id, long stamped) {
      PendingLabel label = labels.get(id);
      if (label == null || label.timestamp() != stamped) {
        return; // replaced by a later label of the same id (after the first one expired)
      }
      labels.delete(id);
      if (!label.matched()) {
        metrics.label("unmatched");
        deadLetter(label.feedback(), context.currentStreamTimeMs(), new RecordHeaders(),
            new InvalidEventException(RejectReason.UNMATCHED_LABEL, "no sample or prediction with id '" + id
                + "' arrived within the join window of " + Duration.ofMillis(windowMillis)),
            label.topic(), label.partition(), label.offset());
      }
    }
  }
}
