package dev.osprey.core.event;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the promotion gate decided, with every figure it decided on.
 *
 * @param passed whether the candidate may be activated
 * @param figures every figure and threshold, finite numbers under {@code gate.*} keys in a stable
 *     order; ready for the manifest's metrics and the run log
 * @param summary one line: the activation's reason when passed, the first refusal otherwise
 * @param refusals why it did not pass, one line per failed rule (empty when passed)
 * @param notes what the gate could not check and why (e.g. no teacher)
 */
public record GateDecision(
    boolean passed, Map<String, Double> figures, String summary, List<String> refusals, List<String> notes) {

  public GateDecision {
    figures = Collections.unmodifiableMap(new LinkedHashMap<>(figures));
    refusals = List.copyOf(refusals);
    notes = List.copyOf(notes);
    if (passed != refusals.isEmpty()) {
      throw new IllegalArgumentException("a decision passes exactly when it has no refusals");
    }
    for (Map.Entry<String, Double> e : figures.entrySet()) {
      if (e.getValue() == null || !Double.isFinite(e.getValue())) {
        throw new IllegalArgumentException("figure " + e.getKey() + " must be finite, got " + e.getValue());
      }
    }
  }
}
