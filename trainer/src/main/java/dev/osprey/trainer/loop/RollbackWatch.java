package dev.osprey.trainer.loop;

import dev.osprey.core.event.Outcome;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Watches a newly promoted version's online accuracy and decides, once, whether to roll back.
 *
 * <p>Baseline: the champion's online accuracy before the promotion, {@code p0} over {@code n0}
 * outcomes (the trainer's window of the champion's last outcomes; the gate's held-out accuracy of
 * the champion when it had none). Once K labeled outcomes of the new version have arrived (its
 * accuracy {@code p1}), it rolls back when the new version is significantly more than the margin
 * worse: a one-sided two-proportion test of {@code H0: p1 >= p0 - margin} against
 * {@code H1: p1 < p0 - margin},
 *
 * <pre>z = (p0 - p1 - margin) / sqrt(p0 (1 - p0) / n0 + p1 (1 - p1) / K),   roll back iff 1 - Phi(z) < alpha</pre>
 *
 * (normal approximation; both variances count, since the baseline is a sample too). A version
 * exactly at the margin is rolled back with probability at most alpha, an equally good one almost
 * never (0.5%); with the defaults (K = 500, n0 = 500, accuracy near 0.9) a version 5 points worse
 * is rolled back 40% of the time, 8 points 88%, 10 points 97% (seeded simulation in the tests). One look at a fixed K keeps those rates
 * (repeated looks would inflate them). Outcomes of other models and versions (late labels of the old
 * champion) are ignored, as is everything after the verdict.
 */
public final class RollbackWatch {
  private final RollbackConfig config;
  private final String modelName;
  private final int watchedVersion;
  private final int previousVersion;
  private final int baselineCorrect;
  private final int baselineCount;
  private int correct;
  private int count;
  private boolean decided;

  /**
   * @param baselineCorrect correct outcomes of the champion in its baseline
   * @param baselineCount outcomes in the champion's baseline, >= 1
   * @throws IllegalArgumentException if the baseline is empty or inconsistent
   */
  public RollbackWatch(RollbackConfig config, String modelName, int watchedVersion, int previousVersion,
      int baselineCorrect, int baselineCount) {
    if (baselineCount < 1 || baselineCorrect < 0 || baselineCorrect > baselineCount) {
      throw new IllegalArgumentException(
          "the champion's baseline needs 0 <= correct <= count and count >= 1, got " + baselineCorrect + "/" + baselineCount);
    }
    this.config = config;
    this.modelName = modelName;
    this.watchedVersion = watchedVersion;
    this.previousVersion = previousVersion;
    this.baselineCorrect = baselineCorrect;
    this.baselineCount = baselineCount;
  }

  /** A watch whose baseline is the champion's current online-accuracy window. */
  public static RollbackWatch fromWindow(RollbackConfig config, String modelName, int watchedVersion,
      int previousVersion, OutcomeWindow champion) {
    return new RollbackWatch(config, modelName, watchedVersion, previousVersion, champion.correct(), champion.count());
  }

  /** Counts an outcome; answers the verdict when the K-th outcome of the watched version arrives. */
  public Optional<RollbackVerdict> onOutcome(Outcome outcome) {
    if (decided || outcome.modelVersion() != watchedVersion || !outcome.modelName().equals(modelName)) {
      return Optional.empty();
    }
    count++;
    correct += outcome.correct() ? 1 : 0;
    if (count < config.outcomes()) {
      return Optional.empty();
    }
    decided = true;
    return Optional.of(verdict());
  }

  public boolean decided() {
    return decided;
  }

  /** Outcomes of the watched version counted so far. */
  public int count() {
    return count;
  }

  private RollbackVerdict verdict() {
    double p0 = (double) baselineCorrect / baselineCount;
    double p1 = (double) correct / count;
    double drop = p0 - p1;
    double se = Math.sqrt(p0 * (1 - p0) / baselineCount + p1 * (1 - p1) / count);
    double excess = drop - config.margin();
    double z = se > 0 ? excess / se : excess > 0 ? Double.MAX_VALUE : 0;
    double p = se > 0 ? 1 - Significance.normalCdf(z) : excess > 0 ? 0 : 0.5;
    boolean rollBack = p < config.alpha();
    Map<String, Double> f = new LinkedHashMap<>();
    f.put("rollback.baselineAccuracy", p0);
    f.put("rollback.baselineCount", (double) baselineCount);
    f.put("rollback.accuracy", p1);
    f.put("rollback.count", (double) count);
    f.put("rollback.drop", drop);
    f.put("rollback.margin", config.margin());
    f.put("rollback.z", z);
    f.put("rollback.pValue", p);
    f.put("rollback.alpha", config.alpha());
    f.put("rollback.rolledBack", rollBack ? 1.0 : 0.0);
    String figures = String.format("online accuracy %.4f over %d outcomes vs the champion v%d's %.4f over %d",
        p1, count, previousVersion, p0, baselineCount);
    String reason;
    if (rollBack) {
      reason = String.format("rollback to v%d: v%d's %s: %.4f below, significantly more than the margin %.4f (one-sided p = %.3g < %.3g)",
          previousVersion, watchedVersion, figures, drop, config.margin(), p, config.alpha());
    } else if (drop > config.margin()) {
      reason = String.format("keep v%d: %s: %.4f below, but not significantly more than the margin %.4f "
              + "(one-sided p = %.3g >= %.3g)",
          watchedVersion, figures, drop, config.margin(), p, config.alpha());
    } else {
      reason = String.format("keep v%d: %s", watchedVersion, figures);
    }
    return new RollbackVerdict(rollBack, modelName, watchedVersion, previousVersion, reason, f);
  }
}
