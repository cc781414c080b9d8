package dev.osprey.trainer.loop;

/**
 * How {@link StrategyChooser} picks a strategy.
 *
 * @param mode a fixed strategy, or {@link Mode#AUTO}
 * @param largeDriftGap AUTO re-distills when the champion's reference accuracy exceeds its
 *     held-out accuracy on recent labels by at least this (accuracy points as a fraction)
 * @param maxFineTunes AUTO re-distills when this many fine-tuned versions were promoted in a row
 *     since the last distilled one
 * @param minDistillLabels AUTO never re-distills on fewer recent training labels than this: the
 *     teacher is the larger model and overfits a small set
 * @throws IllegalArgumentException naming the field when a value is out of range
 */
public record StrategyConfig(Mode mode, double largeDriftGap, int maxFineTunes, int minDistillLabels) {

  /** A fixed strategy or the automatic choice. */
  public enum Mode {
    FINE_TUNE, RE_DISTILL, AUTO
  }

  public StrategyConfig {
    if (mode == null) {
      throw new IllegalArgumentException("mode must be FINE_TUNE, RE_DISTILL or AUTO");
    }
    if (!(largeDriftGap > 0 && largeDriftGap <= 1)) {
      throw new IllegalArgumentException("largeDriftGap must be in (0, 1], got " + largeDriftGap);
    }
    if (maxFineTunes < 1) {
      throw new IllegalArgumentException("maxFineTunes must be >= 1, got " + maxFineTunes);
    }
    if (minDistillLabels < 0) {
      throw new IllegalArgumentException("minDistillLabels must be >= 0, got " + minDistillLabels);
    }
  }

  /** AUTO; re-distill on a gap of 10 points or after 3 fine-tunes in a row, with >= 2,000 labels. */
  public static StrategyConfig defaults() {
    return new StrategyConfig(Mode.AUTO, 0.10, 3, 2_000);
  }
}
