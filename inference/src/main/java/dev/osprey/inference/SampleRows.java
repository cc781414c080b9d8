package dev.osprey.inference;

import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SampleValidator;
import dev.osprey.model.serving.LoadedModel;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Pre-processing of one batch: parses and validates each record, checks it fits the model and
 * normalizes it into one row-major float array, Kafka rows first, then the rows of the HTTP
 * requests. A record that does not fit becomes a dead letter; an HTTP request with a sample that
 * does not fit fails whole (its future completes with {@link PredictRequests.RejectedSampleException}).
 *
 * <p>The Kafka records are decoded in {@link Chunk chunks}, each into its own region of the rows
 * (chunk {@code k}'s rows start at row {@code k * chunkSize}), so that the next chunk can be decoded
 * on another thread while the model scores this one; the chunks are {@link #add added} in order.
 */
final class SampleRows {
  /** One entry per accepted Kafka row, in order (then the HTTP rows' samples). */
  final List<Sample> samples = new ArrayList<>();
  /** The consumed record of each accepted Kafka row ({@code records.size()} = number of Kafka rows). */
  final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
  /** Consumed records that do not fit, with why. */
  final List<TransactionalSink.DeadLetter> rejected = new ArrayList<>();
  /** HTTP requests whose rows follow the Kafka rows, in order. */
  final List<MicroBatcher.HttpRequest> accepted = new ArrayList<>();
  /** The normalized rows (a reused buffer: longer than needed, rows of rejected records left stale). */
  final float[] x;

  /** The decoded part of a run of records: its accepted rows lie from {@code firstRow} on, in order. */
  record Chunk(int firstRow, List<Sample> samples, List<ConsumerRecord<String, byte[]>> records,
      List<TransactionalSink.DeadLetter> rejected, long nanos) {}

  /**
   * @param buffer where the rows are written if it holds {@code rows} of them (the loop's, reused: a
   *     transaction's rows are up to ~6 MB, a fresh array each time was allocated and zeroed for
   *     nothing); a new array otherwise
   */
  SampleRows(float[] buffer, int rows, int rowSize) {
    this.x = buffer != null && buffer.length >= rows * rowSize ? buffer : new float[rows * rowSize];
  }

  /** Samples of HTTP requests in {@code batch}. */
  static int requestSamples(MicroBatcher.Batch batch) {
    int samples = 0;
    for (MicroBatcher.HttpRequest r : batch.requests()) {
      samples += r.samples().size();
    }
    return samples;
  }

  /**
   * Decodes {@code records} into {@code x} from row {@code firstRow} on. Touches nothing but its
   * own rows of {@code x}: chunks may be decoded on different threads.
   */
  static Chunk decode(LoadedModel model, List<ConsumerRecord<String, byte[]>> records, SampleValidator validator,
      float[] x, int firstRow) {
    long start = System.nanoTime();
    int n = model.manifest().input().size();
    List<Sample> samples = new ArrayList<>(records.size());
    List<ConsumerRecord<String, byte[]>> accepted = new ArrayList<>(records.size());
    List<TransactionalSink.DeadLetter> rejected = new ArrayList<>(0);
    for (ConsumerRecord<String, byte[]> r : records) {
      try {
        Sample s = validator.parse(r.value());
        normalize(model, s, x, (firstRow + samples.size()) * n);
        samples.add(s);
        accepted.add(r);
      } catch (InvalidEventException e) {
        rejected.add(new TransactionalSink.DeadLetter(r, e));
      }
    }
    return new Chunk(firstRow, samples, accepted, rejected, System.nanoTime() - start);
  }

  /** Takes in the next chunk (in record order). */
  void add(Chunk chunk) {
    samples.addAll(chunk.samples());
    records.addAll(chunk.records());
    rejected.addAll(chunk.rejected());
  }

  /**
   * Decodes the HTTP requests of {@code batch} into rows from {@code firstRow} on, after every
   * Kafka chunk was {@link #add added}.
   *
   * @return the samples of the accepted requests, whose rows start at {@code firstRow}
   */
  List<Sample> addRequests(LoadedModel model, MicroBatcher.Batch batch, int firstRow) {
    int n = model.manifest().input().size();
    List<Sample> out = new ArrayList<>();
    for (MicroBatcher.HttpRequest req : batch.requests()) {
      if (addAll(model, req, n, firstRow + out.size())) {
        accepted.add(req);
        out.addAll(req.samples());
      }
    }
    samples.addAll(out);
    return out;
  }

  /** Adds all of a request's rows, or none: a request with one sample that does not fit fails whole. */
  private boolean addAll(LoadedModel model, MicroBatcher.HttpRequest req, int n, int row) {
    for (int i = 0; i < req.samples().size(); i++) {
      try {
        SampleValidator.check(req.samples().get(i));
        normalize(model, req.samples().get(i), x, (row + i) * n);
      } catch (InvalidEventException e) {
        req.result().completeExceptionally(new PredictRequests.RejectedSampleException(i, e));
        return false;
      }
    }
    return true;
  }

  private static void normalize(LoadedModel model, Sample s, float[] x, int offset) throws InvalidEventException {
    if (s.tensor() == null) {
      throw new InvalidEventException(RejectReason.INCOMPATIBLE_INPUT,
          "model " + model.ref() + " takes a " + model.manifest().input().dtype().wireName() + " tensor "
              + model.manifest().input().shape() + "; this sample has tabular features");
    }
    model.normalizer().normalize(s.tensor(), x, offset);
  }
}
