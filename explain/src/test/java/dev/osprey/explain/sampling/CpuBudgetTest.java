package dev.osprey.explain.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The CPU budget with synthetic time: capacity, refill, debt, priority, and the long-run ceiling. */
class CpuBudgetTest {
  static final long MS = 1_000_000L;
  static final long S = 1_000 * MS;

  @Test
  void aFullBucketAdmitsItsWindowOfCpuThenOnlyTheRefill() {
    // 0.1 core over 2 s: 200 ms of CPU in the bucket, 100 ms per second back
    CpuBudget b = new CpuBudget(new CpuBudget.Config(0.1, Duration.ofSeconds(2)));
    int admitted = 0;
    long t = 0;
    while (b.admits(Trigger.LOW_CONFIDENCE, t)) {
      b.charge(30 * MS, t);
      admitted++;
    }
    // 200 -> 170 -> ... -> 20 -> -10: seven explanations of 30 ms, the last one into debt
    assertEquals(7, admitted);
    assertEquals(-10 * MS, b.tokensNanos(), 1);
    assertFalse(b.admits(Trigger.LOW_CONFIDENCE, t + 100 * MS)); // -10 + 10 = 0: not > 0
    assertTrue(b.admits(Trigger.LOW_CONFIDENCE, t + 101 * MS));
    assertEquals(210 * MS, b.spentNanos());
  }

  @Test
  void theRulesComeBeforeTheRateSampleWhenTheBudgetIsShort() {
    CpuBudget b = new CpuBudget(new CpuBudget.Config(0.1, Duration.ofSeconds(2)));
    assertTrue(b.admits(Trigger.SAMPLED, 0));
    b.charge(120 * MS, 0); // 80 ms left: under half of 200
    assertFalse(b.admits(Trigger.SAMPLED, 0));
    assertTrue(b.admits(Trigger.LOW_CONFIDENCE, 0));
    assertTrue(b.admits(Trigger.WRONG, 0));
    assertTrue(b.admits(Trigger.DRIFT, 0));
    // 200 ms later 20 ms more: half full again, the sample is admitted
    assertFalse(b.admits(Trigger.SAMPLED, 199 * MS));
    assertTrue(b.admits(Trigger.SAMPLED, 200 * MS));
  }

  @Test
  void requestsAreAlwaysAdmittedAndCharged() {
    CpuBudget b = new CpuBudget(new CpuBudget.Config(0.05, Duration.ofSeconds(1)));
    b.charge(500 * MS, 0);
    assertTrue(b.admits(Trigger.REQUEST, 0));
    assertFalse(b.admits(Trigger.LOW_CONFIDENCE, 0));
    assertEquals(-450 * MS, b.tokensNanos(), 1);
  }

  @Test
  void offAdmitsEverythingAndStillCountsTheCpu() {
    CpuBudget b = new CpuBudget(CpuBudget.Config.off());
    for (int i = 0; i < 1000; i++) {
      assertTrue(b.admits(i % 2 == 0 ? Trigger.SAMPLED : Trigger.LOW_CONFIDENCE, 0));
      b.charge(10 * MS, 0);
    }
    assertEquals(10 * S, b.spentNanos());
    assertFalse(CpuBudget.Config.off().enabled());
  }

  @Test
  void overALongFloodTheCpuSpentStaysWithinTheShareAndTheRulesGetMostOfIt() {
    // A flood: every 20 ms of wall time a low-confidence prediction, every 100 ms a sampled one, each
    // explanation costing 5-25 ms of CPU (seeded). 0.1 core over 2 s for 60 s of wall time.
    CpuBudget b = new CpuBudget(new CpuBudget.Config(0.1, Duration.ofSeconds(2)));
    Random rnd = new Random(42);
    long spentRules = 0;
    long spentSampled = 0;
    int rules = 0;
    int sampled = 0;
    int sampledOffered = 0;
    for (long t = 0; t < 60 * S; t += 20 * MS) {
      boolean isSample = t % (100 * MS) == 0;
      Trigger trigger = isSample ? Trigger.SAMPLED : Trigger.LOW_CONFIDENCE;
      sampledOffered += isSample ? 1 : 0;
      if (b.admits(trigger, t)) {
        long cost = (5 + rnd.nextInt(21)) * MS;
        b.charge(cost, t);
        if (isSample) {
          spentSampled += cost;
          sampled++;
        } else {
          spentRules += cost;
          rules++;
        }
      }
    }
    double spent = (spentRules + spentSampled) / 1e9;
    // at most 0.1 x (60 s + the 2 s window) + one explanation (25 ms)
    assertTrue(spent <= 0.1 * 62 + 0.025, "spent " + spent + " s");
    // and the budget is used, not wasted: within one explanation of what the refill allows
    assertTrue(spent >= 0.1 * 60 - 0.025, "spent " + spent + " s");
    // the rules, offered 4x as often, take nearly all of it; the sample yields
    assertTrue(spentRules > 0.9 * spent, "rules " + spentRules / 1e9 + " of " + spent + " s");
    assertTrue(sampled < 0.05 * sampledOffered, sampled + " of " + sampledOffered + " samples");
    assertTrue(rules > 300, rules + " rule explanations");
  }

  @Test
  void invalidConfigurationsNameTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CpuBudget.Config(-0.5, Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("cores") && e.getMessage().contains("-0.5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new CpuBudget.Config(0.1, Duration.ZERO));
    assertTrue(e.getMessage().contains("window"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CpuBudget.Config(Double.NaN, Duration.ofSeconds(1)));
  }
}
