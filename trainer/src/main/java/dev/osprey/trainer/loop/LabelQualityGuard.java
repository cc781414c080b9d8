package dev.osprey.trainer.loop;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Refuses a candidate when its feedback looks broken or poisoned: when the held-out labels
 * contradict the models at a rate that no drift explains.
 *
 * <p><b>Statistic.</b> Call a held-out sample <em>unanimous</em> when the champion, the teacher
 * and the candidate predict the same class. The guard measures {@code u}, the share of unanimous
 * samples whose label is another class. With honest labels such a sample is one all three models
 * get wrong in the same way, which is rare even under drift: the teacher fails differently from
 * the student (more capacity, trained with jitter), and the candidate was trained on the training
 * part of this very feedback, so a real change of the labels' meaning (concept drift: every 7 is
 * now labeled 1) is learned by it, takes those samples out of the unanimous set, and does not count
 * against the feedback. A randomly flipped label contradicts a unanimous verdict whenever the
 * verdict was right, so {@code u} is close to the flip rate however large the drift. (The plain
 * share of labels that disagree with both the champion and the teacher is reported too, as
 * {@code disagreeBoth}, but not used: under drift it is large for honest labels as well.)
 *
 * <p><b>Allowance.</b> What honest labels can explain is the models' shared-mistake rate, measured
 * where the labels are trusted: {@code s_ref}, the same statistic on the reference test set. Drift
 * makes shared mistakes more frequent as it makes all mistakes more frequent; its size is measured
 * without labels as the growth of non-unanimity, {@code rho = max(1, (1 - A) / (1 - A_ref))} with
 * A and A_ref the unanimous shares on the held-out slice and on the reference set. If each model's
 * errors grow by a factor g, non-unanimity (mostly one model wrong alone) grows about as g, while
 * shared mistakes grow as g when the models fail on exactly the same samples and as g squared or
 * faster when they fail independently; real models lie between, so the default exponent is 1.5:
 *
 * <pre>allowance = min(1, s_ref * rho^gamma + tolerance)      (gamma = 1.5, tolerance = 0.02)</pre>
 *
 * <p><b>Decision.</b> Refuse when {@code u > allowance} and the excess is significant:
 * {@code P(X >= k | X ~ Binomial(n_u, allowance)) < alpha}, with k contradicted among n_u
 * unanimous samples, so a small slice never refuses on noise. Both reference ratios use a
 * pseudo-count of one, so perfect reference agreement does not divide by zero.
 *
 * <p><b>Measured</b> on seeded simulated predictions (2,000 held-out labels, 20 seeds, correlated
 * errors; {@code PromotionGateTest}): honest labels pass at every drift level, with the allowance
 * at least 2.5 times the honest rate (champion at 60% accuracy: u = 0.033, allowance 0.083); 30% of
 * labels flipped at random are always refused; 10% always; 5% always without drift, sometimes under
 * a drift that costs the champion 22 points, not under heavier drift. Feedback noise below that is
 * the business of the held-out accuracy and McNemar rules.
 */
public final class LabelQualityGuard {
  private LabelQualityGuard() {}

  /**
   * The guard's finding.
   *
   * @param refused whether the feedback is refused
   * @param reason why, or null when accepted
   * @param figures {@code gate.labels.*} figures
   */
  public record Verdict(boolean refused, String reason, Map<String, Double> figures) {
    public Verdict {
      figures = Map.copyOf(figures);
    }
  }

  /**
   * @param config its {@code label*} thresholds apply
   * @throws IllegalArgumentException if the evidence has no teacher predictions
   */
  public static Verdict assess(GateEvidence e, GateConfig config) {
    double tolerance = config.labelTolerance();
    double alpha = config.labelAlpha();
    if (!e.hasTeacher()) {
      throw new IllegalArgumentException("the label-quality guard needs the teacher's predictions");
    }
    Tally held = Tally.of(e.heldOutLabels(), e.championHeldOut(), e.teacherHeldOut(), e.candidateHeldOut());
    Tally ref = Tally.of(e.referenceLabels(), e.championReference(), e.teacherReference(), e.candidateReference());
    Map<String, Double> f = new LinkedHashMap<>();
    if (held.n == 0 || ref.n == 0) {
      f.put("gate.labels.skipped", 1.0);
      return new Verdict(false, null, f);
    }
    double u = held.unanimous == 0 ? 0 : (double) held.contradicted / held.unanimous;
    double sRef = (ref.contradicted + 1.0) / (ref.unanimous + 1.0);
    double split = 1 - (double) held.unanimous / held.n;
    double splitRef = (ref.n - ref.unanimous + 1.0) / (ref.n + 1.0);
    double rho = Math.max(1, split / splitRef);
    double allowance = Math.min(1, sRef * Math.pow(rho, config.labelDriftExponent()) + tolerance);
    double p = Significance.binomialUpperTail(held.unanimous, held.contradicted, allowance);
    f.put("gate.labels.disagreeBoth", (double) held.offBoth / held.n);
    f.put("gate.labels.unanimousShare", (double) held.unanimous / held.n);
    f.put("gate.labels.referenceUnanimousShare", (double) ref.unanimous / ref.n);
    f.put("gate.labels.contradictUnanimous", u);
    f.put("gate.labels.referenceContradictUnanimous", sRef);
    f.put("gate.labels.driftFactor", rho);
    f.put("gate.labels.driftExponent", config.labelDriftExponent());
    f.put("gate.labels.tolerance", tolerance);
    f.put("gate.labels.allowance", allowance);
    f.put("gate.labels.pValue", p);
    if (u > allowance && p < alpha) {
      String reason = String.format("label quality: on %.1f%% of the %d held-out samples where the champion, the "
              + "teacher and the candidate agree, the label says otherwise; honest labels explain at most %.1f%% under "
              + "the observed drift (shared mistakes on the reference set %.2f%% x drift factor %.2f ^ %.1f + tolerance %.1f%%; "
              + "binomial p = %.2g < %.2g): the feedback looks broken or poisoned",
          100 * u, held.unanimous, 100 * allowance, 100 * sRef, rho, config.labelDriftExponent(), 100 * tolerance, p, alpha);
      return new Verdict(true, reason, f);
    }
    return new Verdict(false, null, f);
  }

  /** Counts over one labeled set: unanimous samples, those whose label contradicts them, labels off champion and teacher. */
  private record Tally(int n, int unanimous, int contradicted, int offBoth) {
    static Tally of(int[] y, int[] champion, int[] teacher, int[] candidate) {
      int unanimous = 0;
      int contradicted = 0;
      int offBoth = 0;
      for (int i = 0; i < y.length; i++) {
        if (champion[i] == teacher[i] && teacher[i] == candidate[i]) {
          unanimous++;
          contradicted += y[i] != champion[i] ? 1 : 0;
        }
        offBoth += y[i] != champion[i] && y[i] != teacher[i] ? 1 : 0;
      }
      return new Tally(y.length, unanimous, contradicted, offBoth);
    }
  }
}
