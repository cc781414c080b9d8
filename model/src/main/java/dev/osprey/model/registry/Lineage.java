package dev.osprey.model.registry;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a version was trained, so a result can be reproduced or explained.
 *
 * @param dataCounts examples per data source, e.g. {"mnist:train": 60000, "osprey.labeled": 1200}
 * @param recipe training recipe, e.g. "teacher", "fine-tune", "distill"
 * @param seed random seed of the run
 * @param teachers models distilled from (empty when none)
 * @param epochs epochs run
 */
public record Lineage(Map<String, Long> dataCounts, String recipe, long seed, List<ModelRef> teachers, int epochs) {

  /** @throws IllegalArgumentException naming the field when a value is invalid */
  public Lineage {
    dataCounts = dataCounts == null ? Map.of() : dataCounts;
    for (Map.Entry<String, Long> e : dataCounts.entrySet()) {
      if (e.getKey() == null || e.getValue() == null || e.getValue() < 0) {
        throw new IllegalArgumentException("dataCounts entry " + e.getKey() + "=" + e.getValue() + " must be >= 0");
      }
    }
    dataCounts = Collections.unmodifiableMap(new TreeMap<>(dataCounts));
    if (recipe == null || recipe.isBlank()) {
      throw new IllegalArgumentException("recipe must not be blank, got '" + recipe + "'");
    }
    teachers = teachers == null ? List.of() : List.copyOf(teachers);
    if (epochs < 0) {
      throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
    }
  }
}
