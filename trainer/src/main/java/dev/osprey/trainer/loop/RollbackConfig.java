package dev.osprey.trainer.loop;

/**
 * When {@link RollbackWatch} rolls a promotion back.
 *
 * @param outcomes K: labeled outcomes of the new version to judge it on
 * @param margin the new version's online accuracy must fall more than this below the champion's
 * @param alpha significance level of the one-sided test that the fall is not noise
 * @throws IllegalArgumentException naming the field when a value is out of range
 */
public record RollbackConfig(int outcomes, double margin, double alpha) {

  public RollbackConfig {
    if (outcomes < 1) {
      throw new IllegalArgumentException("outcomes must be >= 1, got " + outcomes);
    }
    if (!(margin >= 0 && margin <= 1)) {
      throw new IllegalArgumentException("margin must be in [0, 1], got " + margin);
    }
    if (!(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("alpha must be in (0, 1), got " + alpha);
    }
  }

  /** K = 500 outcomes, margin 2 points, alpha 5%. */
  public static RollbackConfig defaults() {
    return new RollbackConfig(500, 0.02, 0.05);
  }
}
