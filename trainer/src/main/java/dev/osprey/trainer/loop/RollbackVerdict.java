package dev.osprey.trainer.loop;

import java.util.Map;

/**
 * What {@link RollbackWatch} concluded about a promoted version.
 *
 * @param rollBack whether to activate {@code previousVersion} again
 * @param modelName registry name of the model
 * @param watchedVersion the promoted version that was watched
 * @param previousVersion the champion it replaced (the rollback target)
 * @param reason one line; the rollback activation's reason when rolling back
 * @param figures {@code rollback.*} figures
 */
public record RollbackVerdict(
    boolean rollBack, String modelName, int watchedVersion, int previousVersion, String reason,
    Map<String, Double> figures) {

  public RollbackVerdict {
    figures = Map.copyOf(figures);
  }
}
