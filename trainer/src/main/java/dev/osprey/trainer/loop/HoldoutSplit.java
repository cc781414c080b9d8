package dev.osprey.trainer.loop;

/**
 * Which recent labels are held out from training, decided by a stable hash of the sample id alone.
 * Because the rule never changes between runs or restarts, a sample held out once is held out
 * always: no model the loop produced has trained on any held-out sample, so the gate compares the
 * champion and the candidate on data neither has seen (provided the fraction is not changed).
 *
 * @param fraction share of sample ids held out, in [0, 1]
 */
public record HoldoutSplit(double fraction) {
  /** Fixed salt: changing it would move samples a previous model trained on into the held-out slice. */
  private static final String SALT = "osprey-holdout-v1\n";

  /** @throws IllegalArgumentException if fraction is outside [0, 1] */
  public HoldoutSplit {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException("heldOutFraction must be in [0, 1], got " + fraction);
    }
  }

  public boolean isHeldOut(String sampleId) {
    return StableHash.unit(SALT + sampleId) < fraction;
  }
}
