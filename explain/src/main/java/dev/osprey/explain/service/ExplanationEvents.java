package dev.osprey.explain.service;

import dev.osprey.core.event.Attribution;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.Tensor;
import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.shap.PatchGrid;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns an {@link AttributionMap} into the {@link Explanation} event written to
 * {@code osprey.explanations}: the attributions as a float32 tensor in the input's shape, the top
 * features, the signed completeness residual, the timings, and which model version, runtime and
 * precision produced it.
 */
public final class ExplanationEvents {
  /** Parameter naming what the top features' indices point at for patch methods. */
  public static final String TOP_FEATURES_PARAMETER = "topFeatures";

  private ExplanationEvents() {}

  /**
   * What is explained: the sample, the exact model version that predicted it, why, and when the
   * prediction was made.
   *
   * @param trigger a {@link Trigger#wireName()} such as {@code sampled}, or {@code request}
   */
  public record Subject(String sampleId, String modelName, int modelVersion, String trigger, long predictionTimestamp) {}

  /**
   * The event for one map.
   *
   * @param grid the patches when the map's features are patches (KernelSHAP), else null: a top
   *     feature then names its patch's first (top-left) pixel and carries the patch's value
   * @param topK how many top features to include
   * @param extraTimings timings outside the method (e.g. {@code queue}), added to the map's own
   * @param now the event timestamp, epoch millis
   * @throws IllegalArgumentException if the map has patch values but no grid is given, or the
   *     grid does not fit them
   */
  public static Explanation of(AttributionMap map, PatchGrid grid, Subject subject, int topK,
      Map<String, Double> extraTimings, long now) {
    ImageShape shape = map.shape();
    Map<String, String> parameters = new LinkedHashMap<>(map.parameters());
    List<Attribution> top;
    if (map.featureValues() != null) {
      if (grid == null || grid.size() != map.featureValues().length) {
        throw new IllegalArgumentException(map.method() + " map has " + map.featureValues().length
            + " patch values but the grid is " + grid);
      }
      top = topPatches(map.featureValues(), grid, topK);
      parameters.put(TOP_FEATURES_PARAMETER, "patch (index = its top-left pixel, value = the patch's)");
    } else {
      top = Attribution.topByMagnitude(map.values(), topK);
    }
    Map<String, Double> timings = new LinkedHashMap<>(map.timingsMillis());
    timings.putAll(extraTimings);
    return new Explanation(Explanation.SCHEMA_VERSION, subject.sampleId(), subject.modelName(), subject.modelVersion(),
        map.runtime().runtime(), map.runtime().precision(), map.method().wireName(), parameters, map.targetLabel(),
        subject.trigger(), Tensor.ofFloat32(map.values(), shape.channels(), shape.height(), shape.width()), top,
        signedResidual(map), timings, subject.predictionTimestamp(), now);
  }

  /**
   * {@code sum(attributions) - (f(x) - reference)} for methods with completeness, else null. The
   * map's own residual is its absolute value; the event keeps the sign (an IG path that
   * under-attributes is told apart from one that over-attributes).
   */
  static Double signedResidual(AttributionMap map) {
    if (map.completenessResidual() == null || map.referenceScore() == null) {
      return null;
    }
    double sum = 0;
    if (map.featureValues() != null) {
      for (float v : map.featureValues()) {
        sum += v;
      }
    } else {
      sum = map.sum();
    }
    return sum - (map.targetScore() - map.referenceScore());
  }

  private static List<Attribution> topPatches(float[] phi, PatchGrid grid, int k) {
    List<Attribution> all = new ArrayList<>(phi.length);
    for (int p = 0; p < phi.length; p++) {
      all.add(new Attribution(grid.pixels(p)[0], phi[p]));
    }
    all.sort(Comparator.comparingDouble((Attribution a) -> -Math.abs(a.value())).thenComparingInt(Attribution::index));
    return List.copyOf(all.subList(0, Math.min(k, all.size())));
  }
}
