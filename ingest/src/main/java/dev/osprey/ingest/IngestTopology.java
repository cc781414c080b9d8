package dev.osprey.ingest;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SampleValidator;
import dev.osprey.core.kafka.RecordSize;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validation topologies, as a pure builder: {@code samples.raw -> samples} and
 * {@code feedback.raw -> feedback}, every rejected record to the DLQ with its original key and
 * value bytes and the {@link DeadLetterHeaders}.
 *
 * <p>Keys: valid output is keyed by the event's id ({@code Sample.id}, {@code Feedback.sampleId})
 * whatever the input key was, so downstream joins co-partition. The duplicate check runs in the
 * input partition, so it is exact when producers key raw records by id (the replay producer does);
 * a duplicate that arrives under a different key on another partition is not caught.
 *
 * <p>No record can stop the stream: any failure while validating one record, expected or not,
 * dead-letters that record. So does output Kafka would refuse: a valid event whose output record
 * (key, encoded value and the producer's headers, which ingest carries over) is larger than
 * {@link WriteLimits} allows goes to the DLQ as {@code too-large}, and a dead letter is cut to the
 * DLQ's limit ({@link DeadLetterHeaders#fit}). Should Kafka still refuse an output record, the
 * source record is remembered ({@link UnwritableRecords}) and dead-lettered when the restarted
 * task reads it again.
 */
public final class IngestTopology {
  /** The dedupe window store: sample id -> record timestamp of its accepted occurrence. */
  public static final String DEDUPE_STORE = "osprey-ingest-sample-ids";

  private static final Logger log = LoggerFactory.getLogger(IngestTopology.class);
  /**
   * Valid events leave the processor encoded by their topic's own serde (so their size is known
   * before Kafka sees them); the sink passes those bytes through.
   */
  private static final Serde<byte[]> ENCODED = Serdes.ByteArray();

  private IngestTopology() {}

  /**
   * Adds both validation topologies to {@code builder}, with the write limits Kafka's defaults and
   * {@code config}'s producer settings give; running them is the caller's business.
   */
  public static void build(StreamsBuilder builder, Topics topics, IngestConfig config, IngestMetrics metrics) {
    build(builder, topics, config, metrics, WriteLimits.of(config.kafka(), topics), new UnwritableRecords());
  }

  /**
   * Adds both validation topologies to {@code builder}.
   *
   * @param limits what may be written to each output topic; larger output is dead-lettered
   * @param unwritable source records Kafka refused to write once; they are dead-lettered when read again
   */
  public static void build(StreamsBuilder builder, Topics topics, IngestConfig config, IngestMetrics metrics,
      WriteLimits limits, UnwritableRecords unwritable) {
    EventCodec codec = new EventCodec();
    SampleValidator validator = new SampleValidator(codec, config.maxSampleBytes());
    Duration window = config.dedupeWindow();
    // Retention is twice the window so that an id accepted a full window ago is still fetchable.
    builder.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(DEDUPE_STORE, window.multipliedBy(2), window, false),
            org.apache.kafka.common.serialization.Serdes.String(),
            org.apache.kafka.common.serialization.Serdes.Long()));

    route(
        builder,
        topics.samplesRaw(),
        topics.samples(),
        topics.dlq(),
        "samples",
        () -> new SampleValidation(validator, window.toMillis(),
            new Output<>(topics.samplesRaw().name(), topics.samples(), limits.samples(), limits.dlq(), unwritable), metrics),
        DEDUPE_STORE);

    int maxBytes = config.maxSampleBytes();
    route(
        builder,
        topics.feedbackRaw(),
        topics.feedback(),
        topics.dlq(),
        "feedback",
        () -> new Validation<Feedback>(
            new Output<>(topics.feedbackRaw().name(), topics.feedback(), limits.feedback(), limits.dlq(), unwritable),
            metrics) {
          @Override
          Feedback validate(Record<String, byte[]> record) throws InvalidEventException {
            byte[] raw = record.value();
            if (raw != null && raw.length > maxBytes) {
              throw new InvalidEventException(
                  RejectReason.TOO_LARGE, "event is " + raw.length + " bytes, limit is " + maxBytes);
            }
            return codec.decodeFeedback(raw);
          }

          @Override
          String idOf(Feedback event) {
            return event.sampleId();
          }
        });
  }

  private static <T> void route(
      StreamsBuilder builder,
      Topic<String, byte[]> raw,
      Topic<String, T> valid,
      Topic<String, byte[]> dlq,
      String name,
      org.apache.kafka.streams.processor.api.ProcessorSupplier<String, byte[], String, Checked<T>> validation,
      String... stores) {
    KStream<String, Checked<T>> checked =
        builder.stream(raw.name(), Consumed.with(raw.keySerde(), raw.valueSerde()).withName(name + "-raw"))
            .process(validation, Named.as(name + "-validate"), stores);
    checked
        .filter((k, v) -> v instanceof Checked.Valid<T>, Named.as(name + "-valid"))
        .mapValues(v -> ((Checked.Valid<T>) v).encoded(), Named.as(name + "-valid-event"))
        .to(valid.name(), Produced.with(valid.keySerde(), ENCODED).withName(name + "-out"));
    checked
        .filter((k, v) -> v instanceof Checked.Rejected<T>, Named.as(name + "-rejected"))
        .mapValues(v -> ((Checked.Rejected<T>) v).original(), Named.as(name + "-rejected-bytes"))
        .to(dlq.name(), Produced.with(dlq.keySerde(), dlq.valueSerde()).withName(name + "-dlq"));
  }

  /** A validated event as it will be written, or the original bytes of a rejected one (headers say why). */
  sealed interface Checked<T> {
    /** The event, already encoded by its topic's serde so that its size could be checked. */
    record Valid<T>(T event, byte[] encoded) implements Checked<T> {}

    record Rejected<T>(byte[] original) implements Checked<T> {}
  }

  /**
   * Where a validation writes: the raw source topic (for metrics and DLQ headers), the valid
   * output topic with its serde and size limit, the DLQ's size limit, and the records Kafka
   * refused before.
   */
  record Output<T>(String sourceTopic, Topic<String, T> valid, int validLimit, int dlqLimit,
      UnwritableRecords unwritable) {}

  /**
   * Validates one raw record; valid ones are re-keyed by id and size-checked as they will be
   * written (key, encoded value and headers), rejected ones get DLQ headers and are cut to fit.
   */
  private abstract static class Validation<T> implements Processor<String, byte[], String, Checked<T>> {
    private final Output<T> output;
    private final Serializer<T> serializer;
    private final IngestMetrics metrics;
    ProcessorContext<String, Checked<T>> context;

    Validation(Output<T> output, IngestMetrics metrics) {
      this.output = output;
      this.serializer = output.valid().valueSerde().serializer();
      this.metrics = metrics;
    }

    abstract T validate(Record<String, byte[]> record) throws InvalidEventException;

    abstract String idOf(T event);

    @Override
    public void init(ProcessorContext<String, Checked<T>> context) {
      this.context = context;
    }

    @Override
    public void process(Record<String, byte[]> record) {
      String sourceTopic = output.sourceTopic();
      RecordMetadata source = context.recordMetadata().orElse(null);
      UnwritableRecords.Refusal refusal = null;
      InvalidEventException reject;
      try {
        refusal = source == null ? null
            : output.unwritable().refusal(source.topic(), source.partition(), source.offset());
        if (refusal != null && !refusal.deadLetter()) {
          throw new InvalidEventException(RejectReason.TOO_LARGE, refusal.why());
        }
        T event = validate(record);
        String id = idOf(event);
        byte[] encoded = serializer.serialize(output.valid().name(), event);
        long size = RecordSize.upperBound(RecordSize.utf8Length(id), encoded.length, record.headers());
        if (size > output.validLimit()) {
          throw new InvalidEventException(RejectReason.TOO_LARGE, "the output record would be " + size
              + " bytes (key " + RecordSize.utf8Length(id) + ", value " + encoded.length + ", headers "
              + RecordSize.headerBytes(record.headers()) + "), over the " + output.validLimit()
              + " bytes Kafka accepts on " + output.valid().name());
        }
        metrics.validated(sourceTopic);
        if (source != null) {
          output.unwritable().writing(encoded, source.topic(), source.partition(), source.offset(), false);
        }
        context.forward(record.withKey(id).withValue(new Checked.Valid<>(event, encoded)));
        return;
      } catch (InvalidEventException e) {
        reject = e;
      } catch (RuntimeException e) {
        // A validator bug must not kill the stream: dead-letter the record and say so loudly.
        log.warn("unexpected failure validating a record from {}; dead-lettering it", sourceTopic, e);
        reject = new InvalidEventException(RejectReason.INVALID_FIELD, "cannot validate: " + e);
      }
      metrics.rejected(sourceTopic, reject.reason());
      log.debug("rejected record from {}: {} ({})", sourceTopic, reject.reason().code(), reject.detail());
      byte[] original = record.value();
      DeadLetterHeaders.Fitted dead = DeadLetterHeaders.fit(record.key(), original,
          DeadLetterHeaders.of(record.headers(), reject,
              source == null ? sourceTopic : source.topic(), source == null ? -1 : source.partition(),
              source == null ? -1 : source.offset(), original == null ? 0 : original.length),
          // The dead letter itself was refused once (the DLQ's limit fell below ours): the
          // smallest letter that still carries the reason.
          refusal != null && refusal.deadLetter() ? DeadLetterHeaders.MIN_RECORD_BYTES : output.dlqLimit());
      if (source != null) {
        output.unwritable().writing(dead.value(), source.topic(), source.partition(), source.offset(), true);
      }
      context.forward(record.withKey(dead.key()).withValue(new Checked.Rejected<T>(dead.value()))
          .withHeaders(dead.headers()));
    }
  }

  /** Sample validation plus the duplicate-id check over a window of record time. */
  private static final class SampleValidation extends Validation<Sample> {
    private final SampleValidator validator;
    private final long windowMillis;
    private WindowStore<String, Long> seen;

    SampleValidation(SampleValidator validator, long windowMillis, Output<Sample> output, IngestMetrics metrics) {
      super(output, metrics);
      this.validator = validator;
      this.windowMillis = windowMillis;
    }

    @Override
    public void init(ProcessorContext<String, Checked<Sample>> context) {
      super.init(context);
      seen = context.getStateStore(DEDUPE_STORE);
    }

    @Override
    Sample validate(Record<String, byte[]> record) throws InvalidEventException {
      Sample sample = validator.parse(record.value());
      long ts = record.timestamp();
      // Two occurrences less than a window apart (either order) are duplicates.
      long lo = Math.max(0, ts - windowMillis + 1);
      long hi = ts + windowMillis - 1;
      try (WindowStoreIterator<Long> it = seen.fetch(sample.id(), lo, hi)) {
        if (it.hasNext()) {
          long first = it.next().value;
          throw new InvalidEventException(
              RejectReason.DUPLICATE_ID,
              "sample id '" + sample.id() + "' was already accepted at " + first + ", "
                  + Math.abs(ts - first) + " ms apart (window " + windowMillis + " ms)");
        }
      }
      seen.put(sample.id(), ts, ts);
      return sample;
    }

    @Override
    String idOf(Sample event) {
      return event.id();
    }
  }
}
