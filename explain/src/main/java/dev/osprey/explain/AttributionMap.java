package dev.osprey.explain;

import dev.osprey.explain.model.ModelRuntime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The result of one explanation: a value per input element plus what produced it.
 *
 * @param method the method
 * @param parameters its parameters as reported
 * @param targetLabel the class explained
 * @param shape the input shape; {@code values} has {@code shape.size()} entries
 * @param values attribution per input element (for patch methods, the patch's value spread
 *     evenly over its pixels, so sums are preserved)
 * @param runtime the engine and precision that ran the model
 * @param targetScore the explained output for the input, {@code f_c(x)}
 * @param referenceScore the output the attributions are relative to ({@code f_c(x')} for
 *     Integrated Gradients, {@code E[f_c]} over the background for KernelSHAP), null if none
 * @param completenessResidual {@code |sum(attributions) - (f_c(x) - reference)|} where the method
 *     promises completeness (Integrated Gradients, KernelSHAP), else null
 * @param featureValues per-feature values when the features are not pixels (KernelSHAP: one per
 *     patch, in patch order), else null
 * @param timingsMillis wall time of the parts of the computation ("model": inside the engine,
 *     "total")
 */
public record AttributionMap(
    Method method,
    Map<String, String> parameters,
    int targetLabel,
    ImageShape shape,
    float[] values,
    ModelRuntime runtime,
    double targetScore,
    Double referenceScore,
    Double completenessResidual,
    float[] featureValues,
    Map<String, Double> timingsMillis) {

  /** One feature (pixel, or patch when {@link #featureValues} is set) and its attribution. */
  public record Feature(int index, float value) {}

  public AttributionMap {
    parameters = Map.copyOf(parameters);
    timingsMillis = Map.copyOf(timingsMillis);
    if (values.length != shape.size()) {
      throw new IllegalArgumentException(values.length + " values for shape " + shape);
    }
  }

  /** Sum of the attributions (over pixels; equal to the sum over patches for patch methods). */
  public double sum() {
    double s = 0;
    for (float v : values) {
      s += v;
    }
    return s;
  }

  /** The {@code k} features with the largest |value|, largest first (patches when present). */
  public List<Feature> topFeatures(int k) {
    float[] v = featureValues != null ? featureValues : values;
    List<Feature> all = new ArrayList<>(v.length);
    for (int i = 0; i < v.length; i++) {
      all.add(new Feature(i, v[i]));
    }
    all.sort(Comparator.comparingDouble((Feature f) -> -Math.abs(f.value())).thenComparingInt(Feature::index));
    return List.copyOf(all.subList(0, Math.min(k, all.size())));
  }
}
