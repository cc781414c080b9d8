package dev.osprey.core.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * A prediction scored against the true label: one point of online accuracy for one model
 * version. Written to {@code osprey.outcomes} keyed by the sample id; the monitor and the
 * trainer's promotion gate read it.
 *
 * @param schemaVersion event schema version; {@link EventCodec} rejects versions it does not know
 * @param sampleId id of the sample; the Kafka key
 * @param modelName registry name of the model that predicted
 * @param modelVersion the registry version that predicted, >= 1
 * @param predicted the predicted class index
 * @param actual the true class index (the label)
 * @param correct {@code predicted == actual}
 * @param confidence the probability the model gave its predicted class
 * @param labelProbability the probability the model gave the true class
 * @param probabilities the prediction's full class distribution, in the model's label order
 * @param labelSource who labeled it (the feedback's {@code source}), or null when unknown
 * @param predictionTimestamp when the prediction was made, epoch milliseconds
 * @param labelTimestamp when the label was given, epoch milliseconds
 * @param delayMillis {@code labelTimestamp - predictionTimestamp}: how long the label took to
 *     arrive after the prediction (negative when it came first)
 * @param timestamp when the join produced this record, epoch milliseconds
 * @throws IllegalArgumentException if {@code correct} disagrees with predicted and actual, a class
 *     index is negative or outside {@code probabilities}, or a name is blank
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Outcome(
    int schemaVersion,
    String sampleId,
    String modelName,
    int modelVersion,
    int predicted,
    int actual,
    boolean correct,
    float confidence,
    float labelProbability,
    List<Float> probabilities,
    String labelSource,
    long predictionTimestamp,
    long labelTimestamp,
    long delayMillis,
    long timestamp) {

  public static final int SCHEMA_VERSION = 1;

  public Outcome {
    EventChecks.requireNonBlank(sampleId, "sampleId");
    EventChecks.requireModel(modelName, modelVersion);
    probabilities = probabilities == null ? List.of() : List.copyOf(probabilities);
    requireClass(predicted, probabilities, "predicted");
    requireClass(actual, probabilities, "actual");
    if (correct != (predicted == actual)) {
      throw new IllegalArgumentException(
          "'correct' is " + correct + " but predicted=" + predicted + ", actual=" + actual);
    }
  }

  private static void requireClass(int index, List<Float> probabilities, String field) {
    EventChecks.requireAtLeast(index, 0, field);
    if (!probabilities.isEmpty() && index >= probabilities.size()) {
      throw new IllegalArgumentException(
          "'" + field + "' is " + index + " but the model has " + probabilities.size() + " classes");
    }
  }

  /**
   * Scores a prediction against the label of the same sample.
   *
   * @throws IllegalArgumentException if the feedback is for another sample, or its label is not one
   *     of the prediction's classes
   */
  public static Outcome of(Prediction prediction, Feedback feedback, long timestamp) {
    if (!Objects.equals(prediction.sampleId(), feedback.sampleId())) {
      throw new IllegalArgumentException("feedback for '" + feedback.sampleId()
          + "' cannot score the prediction for '" + prediction.sampleId() + "'");
    }
    List<Float> p = prediction.probabilities();
    int actual = feedback.label();
    if (actual < 0 || actual >= p.size()) {
      throw new IllegalArgumentException("label " + actual + " is not one of the model's " + p.size() + " classes");
    }
    return new Outcome(SCHEMA_VERSION, prediction.sampleId(), prediction.modelName(), prediction.modelVersion(),
        prediction.label(), actual, prediction.label() == actual, prediction.confidence(), p.get(actual), p,
        feedback.source(), prediction.timestamp(), feedback.timestamp(),
        feedback.timestamp() - prediction.timestamp(), timestamp);
  }
}
