package dev.osprey.core.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What the inference service says about one {@link Sample}: which model version said it, the
 * predicted class and the full class distribution. Written to {@code osprey.predictions} keyed by
 * the sample id, and returned by {@code POST /v1/predict}.
 *
 * @param schemaVersion event schema version; {@link EventCodec} rejects versions it does not know
 * @param sampleId id of the classified sample; the Kafka key
 * @param modelName registry name of the model
 * @param modelVersion the exact registry version that produced this prediction
 * @param label index of the predicted class (argmax of {@code probabilities})
 * @param labelName the model's name for that class
 * @param confidence probability of the predicted class, in [0, 1]
 * @param probabilities softmax over the classes, in the model's label order
 * @param embedding penultimate-layer embedding, or null when not requested or not exposed
 * @param runtime the runtime that ran the model ({@code onnx-cpu}, {@code onnx-tensorrt}, {@code pytorch})
 * @param precision {@code int8} or {@code fp32}
 * @param sampleTimestamp the sample's own timestamp, epoch milliseconds
 * @param timestamp when the prediction was made, epoch milliseconds
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Prediction(
    int schemaVersion,
    String sampleId,
    String modelName,
    int modelVersion,
    int label,
    String labelName,
    float confidence,
    List<Float> probabilities,
    List<Float> embedding,
    String runtime,
    String precision,
    long sampleTimestamp,
    long timestamp) {

  public static final int SCHEMA_VERSION = 1;

  public Prediction {
    probabilities = probabilities == null ? List.of() : List.copyOf(probabilities);
    embedding = embedding == null ? null : List.copyOf(embedding);
  }
}
