package dev.osprey.ingest;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SampleValidator;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import java.time.Duration;
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
 * dead-letters that record.
 */
public final class IngestTopology {
  /** The dedupe window store: sample id -> record timestamp of its accepted occurrence. */
  public static final String DEDUPE_STORE = "osprey-ingest-sample-ids";

  private static final Logger log = LoggerFactory.getLogger(IngestTopology.class);

  private IngestTopology() {}

  /** Adds both validation topologies to {@code builder}; running them is the caller's business. */
  public static void build(StreamsBuilder builder, Topics topics, IngestConfig config, IngestMetrics metrics) {
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
        () -> new SampleValidation(validator, window.toMillis(), topics.samplesRaw().name(), metrics),
        DEDUPE_STORE);

    int maxBytes = config.maxSampleBytes();
    route(
        builder,
        topics.feedbackRaw(),
        topics.feedback(),
        topics.dlq(),
        "feedback",
        () -> new Validation<Feedback>(topics.feedbackRaw().name(), metrics) {
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
        .mapValues(v -> ((Checked.Valid<T>) v).event(), Named.as(name + "-valid-event"))
        .to(valid.name(), Produced.with(valid.keySerde(), valid.valueSerde()).withName(name + "-out"));
    checked
        .filter((k, v) -> v instanceof Checked.Rejected<T>, Named.as(name + "-rejected"))
        .mapValues(v -> ((Checked.Rejected<T>) v).original(), Named.as(name + "-rejected-bytes"))
        .to(dlq.name(), Produced.with(dlq.keySerde(), dlq.valueSerde()).withName(name + "-dlq"));
  }

  /** A validated event, or the original bytes of a rejected one (headers say why). */
  sealed interface Checked<T> {
    record Valid<T>(T event) implements Checked<T> {}

    record Rejected<T>(byte[] original) implements Checked<T> {}
  }

  /** Validates one raw record; valid ones are re-keyed by id, rejected ones get DLQ headers. */
  private abstract static class Validation<T> implements Processor<String, byte[], String, Checked<T>> {
    private final String sourceTopic;
    private final IngestMetrics metrics;
    ProcessorContext<String, Checked<T>> context;

    Validation(String sourceTopic, IngestMetrics metrics) {
      this.sourceTopic = sourceTopic;
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
      InvalidEventException reject;
      try {
        T event = validate(record);
        metrics.validated(sourceTopic);
        context.forward(record.withKey(idOf(event)).withValue(new Checked.Valid<>(event)));
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
      RecordMetadata source = context.recordMetadata().orElse(null);
      context.forward(
          record
              .withValue(new Checked.Rejected<T>(DeadLetterHeaders.value(original)))
              .withHeaders(DeadLetterHeaders.of(record.headers(), reject,
                  source == null ? sourceTopic : source.topic(), source == null ? -1 : source.partition(),
                  source == null ? -1 : source.offset(), original == null ? 0 : original.length)));
    }
  }

  /** Sample validation plus the duplicate-id check over a window of record time. */
  private static final class SampleValidation extends Validation<Sample> {
    private final SampleValidator validator;
    private final long windowMillis;
    private WindowStore<String, Long> seen;

    SampleValidation(SampleValidator validator, long windowMillis, String sourceTopic, IngestMetrics metrics) {
      super(sourceTopic, metrics);
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
