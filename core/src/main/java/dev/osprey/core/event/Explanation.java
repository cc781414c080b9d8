package dev.osprey.core.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * Why the served model predicted what it did for one sample: an attribution per input element for
 * one class, computed by the explain service on the exact model version that made the prediction.
 * Written to {@code osprey.explanations} keyed by the sample id.
 *
 * <p>The attributions travel as a plain float32 {@link Tensor}, encoded exactly like a sample's
 * tensor (base64 of little-endian floats), not compressed: explanations are a sampled trickle, an
 * MNIST one is about 4 KB of JSON, and one tensor encoding for every event keeps clients simple and
 * the encoding byte-for-byte reproducible.
 *
 * @param schemaVersion event schema version; {@link EventCodec} rejects versions it does not know
 * @param sampleId id of the explained sample; the Kafka key
 * @param modelName registry name of the explained model
 * @param modelVersion the registry version explained (the one that made the prediction), >= 1
 * @param runtime the runtime that computed it ({@code pytorch}, ...)
 * @param precision the precision of the network explained ({@code fp32}, {@code int8})
 * @param method the attribution method ({@code integrated-gradients}, {@code kernel-shap}, ...)
 * @param parameters the method's settings as strings ({@code steps}, {@code baseline}, ...)
 * @param targetLabel the class whose score is explained (usually the predicted one)
 * @param trigger why this sample was explained ({@code sampled}, {@code low-confidence},
 *     {@code request}, ...)
 * @param attributions one value per input element, float32, in the input's shape
 * @param topFeatures the largest attributions by magnitude, largest first
 * @param completenessResidual for methods with a completeness property (Integrated Gradients,
 *     SHAP): {@code sum(attributions) - (score(input) - score(baseline))}; null for methods without
 * @param timingsMillis where the time went ({@code attribution}, {@code total}, ...), milliseconds
 * @param predictionTimestamp the explained prediction's timestamp, epoch milliseconds
 * @param timestamp when the explanation was made, epoch milliseconds
 * @throws IllegalArgumentException if a name is blank, the attributions are not a consistent
 *     float32 tensor, a top feature's index is outside it, or the residual is not finite
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Explanation(
    int schemaVersion,
    String sampleId,
    String modelName,
    int modelVersion,
    String runtime,
    String precision,
    String method,
    Map<String, String> parameters,
    int targetLabel,
    String trigger,
    Tensor attributions,
    List<Attribution> topFeatures,
    Double completenessResidual,
    Map<String, Double> timingsMillis,
    long predictionTimestamp,
    long timestamp) {

  public static final int SCHEMA_VERSION = 1;

  public Explanation {
    EventChecks.requireNonBlank(sampleId, "sampleId");
    EventChecks.requireModel(modelName, modelVersion);
    EventChecks.requireNonBlank(runtime, "runtime");
    EventChecks.requireNonBlank(precision, "precision");
    EventChecks.requireNonBlank(method, "method");
    EventChecks.requireNonBlank(trigger, "trigger");
    EventChecks.requireAtLeast(targetLabel, 0, "targetLabel");
    if (attributions == null || attributions.dtype() != DType.FLOAT32 || attributions.shape() == null) {
      throw new IllegalArgumentException("'attributions' must be a float32 tensor");
    }
    long elements = attributions.elementCount();
    if (elements < 0 || attributions.data() == null || attributions.data().length != elements * DType.FLOAT32.bytes()) {
      throw new IllegalArgumentException("'attributions' data does not match its shape " + attributions.shape());
    }
    topFeatures = topFeatures == null ? List.of() : List.copyOf(topFeatures);
    for (Attribution a : topFeatures) {
      if (a.index() >= elements) {
        throw new IllegalArgumentException(
            "top feature index " + a.index() + " is outside the " + elements + " attributions");
      }
    }
    if (completenessResidual != null) {
      EventChecks.requireFinite(completenessResidual, "completenessResidual");
    }
    parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
    timingsMillis = timingsMillis == null ? Map.of() : Map.copyOf(timingsMillis);
  }

  /** The attributions as floats, row-major. */
  public float[] attributionValues() {
    return attributions.toFloats();
  }
}
