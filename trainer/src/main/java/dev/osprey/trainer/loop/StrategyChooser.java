package dev.osprey.trainer.loop;

import dev.osprey.core.event.StrategyChoice;
import dev.osprey.core.event.Strategy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses between fine-tuning the student and re-distilling it.
 *
 * <p>In {@link StrategyConfig.Mode#AUTO}, with {@code gap = championReferenceAccuracy -
 * championHeldOutAccuracy} (how much the serving model lost on the recent labels' held-out slice
 * compared with the reference test set) and {@code n} the recent training labels:
 * <ol>
 *   <li>{@code n < minDistillLabels}: <b>fine-tune</b>. Too few labels to move the teacher,
 *       which has many more parameters than the student.
 *   <li>{@code fineTunesSinceDistill >= maxFineTunes}: <b>re-distill</b>. Every fine-tune moves
 *       the student further from what distillation gave it (the teacher's soft targets on the
 *       whole reference set); distilling from a teacher that itself learned the recent data
 *       restores that, at a higher cost, once in a while.
 *   <li>{@code gap >= largeDriftGap}: <b>re-distill</b>. A large drift is a change the small
 *       student may lack the capacity or the features to absorb by fine-tuning alone; the teacher
 *       (more capacity, trained with jitter) adapts, and distillation carries its dark knowledge
 *       about the new inputs to a fresh student.
 *   <li>otherwise <b>fine-tune</b>: cheap, and enough for a moderate drift.
 * </ol>
 * A NaN held-out accuracy (no held-out labels) counts as no gap.
 */
public final class StrategyChooser {
  private final StrategyConfig config;

  public StrategyChooser(StrategyConfig config) {
    this.config = config;
  }

  /**
   * @param championReferenceAccuracy the champion's accuracy on the reference test set (its
   *     manifest's figure)
   * @param championHeldOutAccuracy the champion's accuracy on the run's held-out slice
   * @param fineTunesSinceDistill fine-tuned versions promoted in a row since the last distilled one
   *     ({@link #fineTunesSinceDistill(List)})
   * @param recentTrainLabels recent labels in the run's training part
   */
  public StrategyChoice choose(double championReferenceAccuracy, double championHeldOutAccuracy,
      int fineTunesSinceDistill, int recentTrainLabels) {
    double gap = Double.isNaN(championHeldOutAccuracy) ? 0 : championReferenceAccuracy - championHeldOutAccuracy;
    Map<String, Double> figures = new LinkedHashMap<>();
    figures.put("strategy.championReferenceAccuracy", championReferenceAccuracy);
    if (!Double.isNaN(championHeldOutAccuracy)) {
      figures.put("strategy.championHeldOutAccuracy", championHeldOutAccuracy);
    }
    figures.put("strategy.accuracyGap", gap);
    figures.put("strategy.fineTunesSinceDistill", (double) fineTunesSinceDistill);
    figures.put("strategy.recentTrainLabels", (double) recentTrainLabels);
    switch (config.mode()) {
      case FINE_TUNE:
        return new StrategyChoice(Strategy.FINE_TUNE, "fine-tune (configured)", figures);
      case RE_DISTILL:
        return new StrategyChoice(Strategy.RE_DISTILL, "re-distill (configured)", figures);
      default:
        break;
    }
    if (recentTrainLabels < config.minDistillLabels()) {
      return new StrategyChoice(Strategy.FINE_TUNE, "fine-tune: " + recentTrainLabels
          + " recent training labels are too few to re-distill (< " + config.minDistillLabels() + ")", figures);
    }
    if (fineTunesSinceDistill >= config.maxFineTunes()) {
      return new StrategyChoice(Strategy.RE_DISTILL, "re-distill: " + fineTunesSinceDistill
          + " fine-tunes in a row since the last distillation (limit " + config.maxFineTunes() + ")", figures);
    }
    if (gap >= config.largeDriftGap()) {
      return new StrategyChoice(Strategy.RE_DISTILL, String.format(
          "re-distill: large drift, held-out accuracy %.4f is %.4f below the reference %.4f (>= %.4f)",
          championHeldOutAccuracy, gap, championReferenceAccuracy, config.largeDriftGap()), figures);
    }
    return new StrategyChoice(Strategy.FINE_TUNE, String.format(
        "fine-tune: moderate drift, held-out accuracy gap %.4f < %.4f", gap, config.largeDriftGap()), figures);
  }

  /**
   * Fine-tuned versions at the end of a promotion history (oldest first): the count that
   * {@link #choose} compares with {@code maxFineTunes}.
   */
  public static int fineTunesSinceDistill(List<Strategy> promoted) {
    int n = 0;
    for (int i = promoted.size() - 1; i >= 0 && promoted.get(i) == Strategy.FINE_TUNE; i--) {
      n++;
    }
    return n;
  }
}
