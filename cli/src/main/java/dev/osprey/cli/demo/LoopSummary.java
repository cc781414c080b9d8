package dev.osprey.cli.demo;

import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.RunTransition;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the retraining loop did in the demo's loop scenario.
 *
 * @param runs the latest record of every run in the run log (read_committed), in the order they began
 * @param servedBefore the version serving when the replay began
 * @param servedAfter the version serving at the end
 * @param firstIndexByVersion the first replay index each version predicted
 * @param clean accuracy before the drift's onset (the version serving then)
 * @param duringDrift accuracy on drifted samples predicted by {@code servedBefore}
 * @param afterSwap accuracy on drifted samples predicted by the version(s) the trainer activated
 */
public record LoopSummary(List<RunTransition> runs, int servedBefore, int servedAfter, Map<Integer, Integer> firstIndexByVersion,
    Accuracy clean, Accuracy duringDrift, Accuracy afterSwap) {

  /** Online accuracy on labelled samples: {@code correct} of {@code labelled}. */
  public record Accuracy(int correct, int labelled) {
    public double value() {
      return labelled == 0 ? Double.NaN : (double) correct / labelled;
    }

    Accuracy plus(boolean right) {
      return new Accuracy(correct + (right ? 1 : 0), labelled + 1);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%.4f on %d labelled", value(), labelled);
    }
  }

  /**
   * The summary of {@code runs}, with the labelled predictions split at the drift's onset: before
   * it, after it by {@code servedBefore}, after it by any later version.
   */
  static LoopSummary of(List<RunTransition> runs, int servedBefore, int servedAfter, int onsetIndex,
      List<PredictionWatch.Labelled> labelled, Map<Integer, Integer> firstIndexByVersion) {
    Accuracy clean = new Accuracy(0, 0);
    Accuracy during = new Accuracy(0, 0);
    Accuracy after = new Accuracy(0, 0);
    for (PredictionWatch.Labelled l : labelled) {
      if (l.index() < onsetIndex) {
        clean = clean.plus(l.correct());
      } else if (l.version() == servedBefore) {
        during = during.plus(l.correct());
      } else {
        after = after.plus(l.correct());
      }
    }
    return new LoopSummary(runs, servedBefore, servedAfter, firstIndexByVersion, clean, during, after);
  }

  /** The run that activated a version, if any. */
  public Optional<RunTransition> activatedRun() {
    return runs.stream().filter(r -> r.phaseTimes().containsKey(RunPhase.ACTIVATED)).findFirst();
  }
}
