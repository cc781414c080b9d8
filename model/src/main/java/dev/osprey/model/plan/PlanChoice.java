package dev.osprey.model.plan;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The plan {@code precision=auto} serves: the fastest plan whose accuracy is within
 * {@code maxAccuracyDrop} of the fp32 graph and whose top-1 agreement with it is at least
 * {@code minAgreement}. fp32 always qualifies, so there is always a choice.
 *
 * @param plan the chosen plan's name
 * @param reason one line: what it won against and by how much
 */
public record PlanChoice(String plan, String reason) {
  /** Default accuracy bound: 0.3 points. */
  public static final double MAX_ACCURACY_DROP = 0.003;
  /** Default agreement bound with the fp32 graph. */
  public static final double MIN_AGREEMENT = 0.995;

  /**
   * @throws IllegalArgumentException if the figures hold no fp32 plan
   */
  public static PlanChoice choose(List<PlanFigures> figures, double maxAccuracyDrop, double minAgreement) {
    PlanFigures fp32 = figures.stream().filter(f -> f.plan().equals(PrecisionPlan.FP32)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("the figures must include the fp32 plan"));
    Optional<PlanFigures> best = figures.stream()
        .filter(f -> f.plan().equals(PrecisionPlan.FP32)
            || (fp32.accuracy() - f.accuracy() <= maxAccuracyDrop + 1e-12 && f.agreement() >= minAgreement))
        .max(Comparator.comparingDouble(PlanFigures::samplesPerSecond));
    PlanFigures b = best.orElse(fp32);
    List<String> refused = figures.stream()
        .filter(f -> !f.plan().equals(PrecisionPlan.FP32)
            && (fp32.accuracy() - f.accuracy() > maxAccuracyDrop + 1e-12 || f.agreement() < minAgreement))
        .map(f -> String.format(Locale.ROOT, "%s (accuracy %.4f, agreement %.4f)", f.plan(), f.accuracy(), f.agreement()))
        .toList();
    String reason = String.format(Locale.ROOT, "%s: %.0f samples/s = %.2fx fp32 (%.0f/s), accuracy %.4f vs fp32 %.4f, agreement %.4f",
        b.plan(), b.samplesPerSecond(), b.samplesPerSecond() / fp32.samplesPerSecond(), fp32.samplesPerSecond(),
        b.accuracy(), fp32.accuracy(), b.agreement());
    if (!refused.isEmpty()) {
      reason += "; outside the accuracy bound: " + String.join(", ", refused);
    }
    return new PlanChoice(b.plan(), reason);
  }

  public static PlanChoice choose(List<PlanFigures> figures) {
    return choose(figures, MAX_ACCURACY_DROP, MIN_AGREEMENT);
  }
}
