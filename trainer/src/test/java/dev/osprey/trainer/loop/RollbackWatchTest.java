package dev.osprey.trainer.loop;

import static dev.osprey.trainer.loop.LoopEvents.MODEL;
import static dev.osprey.trainer.loop.LoopEvents.outcome;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RollbackWatchTest {
  private static final RollbackConfig K100 = new RollbackConfig(100, 0.02, 0.05);

  /** Feeds {@code right} correct then {@code n - right} wrong outcomes of v5; answers the last call's verdict. */
  private static Optional<RollbackVerdict> feed(RollbackWatch w, int n, int right) {
    Optional<RollbackVerdict> last = Optional.empty();
    for (int i = 0; i < n; i++) {
      last = w.onOutcome(outcome("s" + i, 5, i < right, i));
    }
    return last;
  }

  @Test
  void aClearlyWorseVersionIsRolledBackAtTheKthOutcome() {
    RollbackWatch w = new RollbackWatch(K100, MODEL, 5, 4, 450, 500); // champion 0.90
    assertEquals(Optional.empty(), feed(w, 99, 70));
    RollbackVerdict v = w.onOutcome(outcome("last", 5, true, 100)).orElseThrow(); // 71 / 100
    assertTrue(v.rollBack());
    assertEquals(4, v.previousVersion());
    assertEquals(5, v.watchedVersion());
    double se = Math.sqrt(0.9 * 0.1 / 500 + 0.71 * 0.29 / 100);
    double z = (0.9 - 0.71 - 0.02) / se;
    assertEquals(z, v.figures().get("rollback.z"), 1e-12);
    assertEquals(1 - Significance.normalCdf(z), v.figures().get("rollback.pValue"), 1e-15);
    assertEquals(0.71, v.figures().get("rollback.accuracy"));
    assertEquals(0.9 - 0.71, v.figures().get("rollback.drop"), 1e-15);
    assertEquals(String.format("rollback to v4: v5's online accuracy 0.7100 over 100 outcomes vs the champion v4's "
        + "0.9000 over 500: 0.1900 below, significantly more than the margin 0.0200 (one-sided p = %.3g < 0.0500)",
        1 - Significance.normalCdf(z)), v.reason());
    assertTrue(w.decided());
    // the verdict is given once
    assertEquals(Optional.empty(), w.onOutcome(outcome("after", 5, false, 101)));
  }

  @Test
  void aBetterVersionOrOneWithinTheMarginIsKept() {
    RollbackVerdict better = feed(new RollbackWatch(K100, MODEL, 5, 4, 390, 500), 100, 95).orElseThrow();
    assertFalse(better.rollBack());
    assertEquals("keep v5: online accuracy 0.9500 over 100 outcomes vs the champion v4's 0.7800 over 500", better.reason());
    RollbackVerdict within = feed(new RollbackWatch(K100, MODEL, 5, 4, 450, 500), 100, 88).orElseThrow();
    assertFalse(within.rollBack());
    assertEquals(0.0, within.figures().get("rollback.rolledBack"));
  }

  @Test
  void aFallBeyondTheMarginOnFewOutcomesIsNotTakenForRealWithoutSignificance() {
    RollbackWatch w = new RollbackWatch(new RollbackConfig(20, 0.02, 0.05), MODEL, 5, 4, 450, 500);
    RollbackVerdict v = feed(w, 20, 16).orElseThrow(); // 0.80 vs 0.90 on 20 outcomes
    assertFalse(v.rollBack());
    double z = (0.1 - 0.02) / Math.sqrt(0.9 * 0.1 / 500 + 0.8 * 0.2 / 20);
    assertEquals(String.format("keep v5: online accuracy 0.8000 over 20 outcomes vs the champion v4's 0.9000 over 500: "
        + "0.1000 below, but not significantly more than the margin 0.0200 (one-sided p = %.3g >= 0.0500)",
        1 - Significance.normalCdf(z)), v.reason());
  }

  @Test
  void otherVersionsAndModelsAreIgnored() {
    RollbackWatch w = new RollbackWatch(new RollbackConfig(2, 0.02, 0.05), MODEL, 5, 4, 9, 10);
    assertEquals(Optional.empty(), w.onOutcome(outcome("late-label-of-v4", 4, false, 1)));
    assertEquals(Optional.empty(), w.onOutcome(LoopEvents.outcome("other", "x", 5, false, 2)));
    assertEquals(Optional.empty(), w.onOutcome(outcome("a", 5, true, 3)));
    assertEquals(1, w.count());
    assertTrue(w.onOutcome(outcome("b", 5, true, 4)).isPresent());
  }

  @Test
  void perfectFiguresOnBothSidesDoNotDivideByZero() {
    RollbackVerdict v = feed(new RollbackWatch(new RollbackConfig(10, 0.02, 0.05), MODEL, 5, 4, 10, 10), 10, 0)
        .orElseThrow();
    assertTrue(v.rollBack());
    assertEquals(0.0, v.figures().get("rollback.pValue"));
    assertFalse(feed(new RollbackWatch(new RollbackConfig(10, 0.02, 0.05), MODEL, 5, 4, 10, 10), 10, 10)
        .orElseThrow().rollBack());
  }

  @Test
  void theBaselineCanComeFromTheChampionsWindowAndMustNotBeEmpty() {
    OutcomeWindow champion = new OutcomeWindow(4);
    for (boolean b : new boolean[] {false, true, true, true, true}) {
      champion.add(b);
    }
    RollbackVerdict v = feed(RollbackWatch.fromWindow(new RollbackConfig(1, 0, 0.5), MODEL, 5, 4, champion), 1, 1)
        .orElseThrow();
    assertEquals(1.0, v.figures().get("rollback.baselineAccuracy"));
    assertEquals(4.0, v.figures().get("rollback.baselineCount"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RollbackWatch.fromWindow(K100, MODEL, 5, 4, new OutcomeWindow(3)));
    assertEquals("the champion's baseline needs 0 <= correct <= count and count >= 1, got 0/0", e.getMessage());
  }

  /**
   * 1,000 seeded promotions with K = 500 against a champion measured at 0.90 on 500 outcomes: an
   * equally good version is almost never rolled back (0.5%), one exactly at the margin at about
   * alpha, one 5 points worse 40% of the time, 8 points 88%, 10 points 97%.
   */
  @Test
  void seededSimulationFalseAndTrueRollbackRates() {
    RollbackConfig config = RollbackConfig.defaults();
    assertEquals(5, rollbacks(config, 0.90, 1_000, 1));
    assertEquals(54, rollbacks(config, 0.88, 1_000, 2)); // exactly at the margin: about alpha
    assertEquals(396, rollbacks(config, 0.85, 1_000, 3));
    assertEquals(879, rollbacks(config, 0.82, 1_000, 4));
    assertEquals(971, rollbacks(config, 0.80, 1_000, 6));
    // without a margin the test errs on equally good versions at about alpha
    assertEquals(62, rollbacks(new RollbackConfig(500, 0, 0.05), 0.90, 1_000, 5));
  }

  private static int rollbacks(RollbackConfig config, double trueAccuracy, int runs, long seed) {
    Random rng = new Random(seed);
    int rolledBack = 0;
    for (int r = 0; r < runs; r++) {
      int baseline = 0;
      for (int i = 0; i < 500; i++) {
        baseline += rng.nextDouble() < 0.90 ? 1 : 0;
      }
      RollbackWatch w = new RollbackWatch(config, MODEL, 5, 4, baseline, 500);
      Optional<RollbackVerdict> v = Optional.empty();
      for (int i = 0; i < config.outcomes(); i++) {
        v = w.onOutcome(outcome("s" + i, 5, rng.nextDouble() < trueAccuracy, i));
      }
      rolledBack += v.orElseThrow().rollBack() ? 1 : 0;
    }
    return rolledBack;
  }
}
