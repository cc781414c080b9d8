package dev.osprey.trainer.loop;

/**
 * The promotion gate's thresholds ({@link PromotionGate} states the rules).
 *
 * @param minHeldOut fewest held-out labels the gate decides on
 * @param heldOutMargin the candidate's held-out accuracy may be at most this far below the champion's
 * @param forgettingBound the candidate's reference-test accuracy may be at most this far below the champion's
 * @param minInt8Agreement least share of samples on which the candidate's int8 and fp32 runtimes agree
 * @param mcnemar what the paired test must show
 * @param alpha significance level of the McNemar test
 * @param labelTolerance slack added to the label-quality guard's allowance (a fraction)
 * @param labelDriftExponent how fast the guard lets shared mistakes grow with the drift factor
 *     ({@link LabelQualityGuard}): 1 = as fast as disagreement, 2 = as its square
 * @param labelAlpha significance level at which the guard calls the excess disagreement real
 * @throws IllegalArgumentException naming the field when a value is out of range
 */
public record GateConfig(
    int minHeldOut,
    double heldOutMargin,
    double forgettingBound,
    double minInt8Agreement,
    McNemarRule mcnemar,
    double alpha,
    double labelTolerance,
    double labelDriftExponent,
    double labelAlpha) {

  /** What the exact McNemar test on the held-out slice must show for the candidate to pass. */
  public enum McNemarRule {
    /** The candidate is significantly better: one-sided p(better) < alpha. */
    SUPERIORITY,
    /** The candidate is not significantly worse: one-sided p(worse) >= alpha. */
    NON_INFERIORITY
  }

  public GateConfig {
    if (minHeldOut < 1) {
      throw new IllegalArgumentException("minHeldOut must be >= 1, got " + minHeldOut);
    }
    requireFraction(heldOutMargin, "heldOutMargin");
    requireFraction(forgettingBound, "forgettingBound");
    requireFraction(minInt8Agreement, "minInt8Agreement");
    if (mcnemar == null) {
      throw new IllegalArgumentException("mcnemar must be SUPERIORITY or NON_INFERIORITY");
    }
    requireLevel(alpha, "alpha");
    requireFraction(labelTolerance, "labelTolerance");
    if (!(labelDriftExponent >= 1 && labelDriftExponent <= 3)) {
      throw new IllegalArgumentException("labelDriftExponent must be in [1, 3], got " + labelDriftExponent);
    }
    requireLevel(labelAlpha, "labelAlpha");
  }

  private static void requireFraction(double v, String field) {
    if (!(v >= 0 && v <= 1)) {
      throw new IllegalArgumentException(field + " must be in [0, 1], got " + v);
    }
  }

  private static void requireLevel(double v, String field) {
    if (!(v > 0 && v < 1)) {
      throw new IllegalArgumentException(field + " must be in (0, 1), got " + v);
    }
  }

  /**
   * 200 held-out labels; not worse on held-out (margin 0); forgetting <= 1 point; int8 agreement
   * >= 99.5%; significantly better by McNemar at 5%; label guard: tolerance 2 points, drift
   * exponent 1.5, significance 1%.
   */
  public static GateConfig defaults() {
    return new GateConfig(200, 0.0, 0.01, 0.995, McNemarRule.SUPERIORITY, 0.05, 0.02, 1.5, 0.01);
  }
}
