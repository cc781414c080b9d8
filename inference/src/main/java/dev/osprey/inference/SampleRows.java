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
 */
final class SampleRows {
  /** One entry per row: the samples to score, in row order. */
  final List<Sample> samples = new ArrayList<>();
  /** The consumed record of each Kafka row ({@code records.size()} = number of Kafka rows). */
  final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
  /** Consumed records that do not fit, with why. */
  final List<TransactionalSink.DeadLetter> rejected = new ArrayList<>();
  /** HTTP requests whose rows follow the Kafka rows, in order. */
  final List<MicroBatcher.HttpRequest> accepted = new ArrayList<>();
  /** The normalized rows; longer than needed when some samples were rejected. */
  final float[] x;

  private SampleRows(float[] x) {
    this.x = x;
  }

  static SampleRows of(LoadedModel model, MicroBatcher.Batch batch, SampleValidator validator) {
    int n = model.manifest().input().size();
    int samples = batch.records().size();
    for (MicroBatcher.HttpRequest r : batch.requests()) {
      samples += r.samples().size();
    }
    SampleRows rows = new SampleRows(new float[samples * n]);
    for (ConsumerRecord<String, byte[]> r : batch.records()) {
      try {
        Sample s = validator.parse(r.value());
        normalize(model, s, rows.x, rows.samples.size() * n);
        rows.samples.add(s);
        rows.records.add(r);
      } catch (InvalidEventException e) {
        rows.rejected.add(new TransactionalSink.DeadLetter(r, e));
      }
    }
    for (MicroBatcher.HttpRequest req : batch.requests()) {
      if (rows.addAll(model, req, n)) {
        rows.accepted.add(req);
      }
    }
    return rows;
  }

  /** Adds all of a request's rows, or none: a request with one sample that does not fit fails whole. */
  private boolean addAll(LoadedModel model, MicroBatcher.HttpRequest req, int n) {
    int start = samples.size();
    for (int i = 0; i < req.samples().size(); i++) {
      try {
        SampleValidator.check(req.samples().get(i));
        normalize(model, req.samples().get(i), x, (start + i) * n);
      } catch (InvalidEventException e) {
        req.result().completeExceptionally(new PredictRequests.RejectedSampleException(i, e));
        return false;
      }
    }
    samples.addAll(req.samples());
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
