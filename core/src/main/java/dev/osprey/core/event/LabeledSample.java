package dev.osprey.core.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;
import java.util.Objects;

/**
 * A training example: a {@link Sample}'s input joined with its true label from {@link Feedback}.
 * Written to {@code osprey.labeled} keyed by the sample id; the trainer reads it. Exactly one of
 * {@code tensor} or {@code features} is set, as in the sample.
 *
 * @param schemaVersion event schema version; {@link EventCodec} rejects versions it does not know
 * @param sampleId id of the sample; the Kafka key
 * @param tensor the sample's dense input, or null for a tabular sample
 * @param features the sample's named features, or null for a tensor sample
 * @param label true class index, 0-based, in the model's label order
 * @param labelSource who labeled it (the feedback's {@code source}), or null when unknown
 * @param sampleTimestamp the sample's own timestamp, epoch milliseconds
 * @param labelTimestamp when the label was given (the feedback's timestamp), epoch milliseconds
 * @param timestamp when the join produced this record, epoch milliseconds
 * @throws IllegalArgumentException if not exactly one of tensor and features is set, the sample
 *     id is blank or the label is negative
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LabeledSample(
    int schemaVersion,
    String sampleId,
    Tensor tensor,
    Map<String, Double> features,
    int label,
    String labelSource,
    long sampleTimestamp,
    long labelTimestamp,
    long timestamp) {

  public static final int SCHEMA_VERSION = 1;

  public LabeledSample {
    EventChecks.requireNonBlank(sampleId, "sampleId");
    if ((tensor == null) == (features == null)) {
      throw new IllegalArgumentException("exactly one of 'tensor' or 'features' must be set");
    }
    EventChecks.requireAtLeast(label, 0, "label");
    features = features == null ? null : Map.copyOf(features);
  }

  /**
   * Joins a sample with its label.
   *
   * @throws IllegalArgumentException if the feedback is for another sample
   */
  public static LabeledSample of(Sample sample, Feedback feedback, long timestamp) {
    if (!Objects.equals(sample.id(), feedback.sampleId())) {
      throw new IllegalArgumentException(
          "feedback for '" + feedback.sampleId() + "' cannot label sample '" + sample.id() + "'");
    }
    return new LabeledSample(SCHEMA_VERSION, sample.id(), sample.tensor(), sample.features(), feedback.label(),
        feedback.source(), sample.timestamp(), feedback.timestamp(), timestamp);
  }

  /** The input as a sample again (no attributes), e.g. to run a model on it. */
  public Sample toSample() {
    return new Sample(Sample.SCHEMA_VERSION, sampleId, sampleTimestamp, tensor, features, null);
  }
}
