package dev.osprey.model.registry;

import java.util.List;

/**
 * The outcome of checking a version on disk.
 *
 * @param ref the version checked
 * @param filesChecked files whose size and hash were compared
 * @param problems one line per problem (empty when the version is intact)
 */
public record Verification(ModelRef ref, int filesChecked, List<String> problems) {
  public Verification {
    problems = List.copyOf(problems);
  }

  public boolean ok() {
    return problems.isEmpty();
  }
}
