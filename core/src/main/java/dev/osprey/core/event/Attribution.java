package dev.osprey.core.event;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How much one input element contributed to an explained class score.
 *
 * @param index the element's position in the flattened (row-major) input; for tabular models, the
 *     feature's position in the model's input order
 * @param value its attribution; the sign says whether it raised or lowered the score
 * @throws IllegalArgumentException if the index is negative or the value not finite
 */
public record Attribution(int index, float value) {

  public Attribution {
    EventChecks.requireAtLeast(index, 0, "index");
    EventChecks.requireFinite(value, "value");
  }

  /**
   * The {@code k} largest attributions by magnitude, largest first; ties go to the lower index,
   * so the result does not depend on sort stability.
   *
   * @throws IllegalArgumentException if {@code k} is negative
   */
  public static List<Attribution> topByMagnitude(float[] values, int k) {
    EventChecks.requireAtLeast(k, 0, "k");
    List<Attribution> all = new ArrayList<>(values.length);
    for (int i = 0; i < values.length; i++) {
      all.add(new Attribution(i, values[i]));
    }
    all.sort(Comparator.comparingDouble((Attribution a) -> -Math.abs(a.value())).thenComparingInt(Attribution::index));
    return List.copyOf(all.subList(0, Math.min(k, all.size())));
  }
}
