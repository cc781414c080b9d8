package dev.osprey.explain.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SamplingPolicyTest {
  /** Prediction time in milliseconds: what the rate limit counts in. */
  private long millis;

  static Prediction prediction(String id, String model, float confidence, long timestamp) {
    return new Prediction(Prediction.SCHEMA_VERSION, id, model, 1, 3, "3", confidence, List.of(), null, "onnx-cpu",
        "int8", 0L, timestamp);
  }

  private Prediction prediction(String id, String model, float confidence) {
    return prediction(id, model, confidence, millis);
  }

  static Outcome outcome(String id, int predicted, int actual) {
    List<Float> p = List.of(0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f);
    return new Outcome(Outcome.SCHEMA_VERSION, id, "digits", 1, predicted, actual, predicted == actual, 0.9f, 0.1f, p,
        "test", 0L, 0L, 0L, 0L);
  }

  static DriftReport drift(String detector, DriftReport.State state) {
    return new DriftReport(DriftReport.SCHEMA_VERSION, "r-" + detector + state, "digits", 1, detector, state, 5, 3, 100,
        10_000, 500, null, null, null, 0L);
  }

  private SamplingPolicy policy(double rate, int burst, double lowConfidence) {
    return new SamplingPolicy(new SamplingPolicy.Config(rate, burst, lowConfidence, true, true, 1000), "digits");
  }

  @Test
  void theRateLimitSamplesExactlyRateTimesSecondsPlusTheBurst() {
    SamplingPolicy policy = policy(20, 5, 0);
    int explained = 0;
    // 10 s of traffic at 1,000 predictions per second
    for (int i = 0; i < 10_000; i++) {
      millis = i;
      explained += policy.onPrediction(prediction("s" + i, "digits", 0.99f)).explain() ? 1 : 0;
    }
    // burst 5 at t=0, then one token every 50 ms for 9.999 s: 199 more
    assertEquals(5 + 199, explained);
    assertEquals(Map.of(Trigger.SAMPLED, 204L), policy.sampledCounts());
    assertEquals(Map.of(SkipReason.RATE_LIMITED, 10_000L - 204), policy.skippedCounts());
  }

  @Test
  void lowConfidenceIsAlwaysExplainedAndTakesNoToken() {
    SamplingPolicy policy = policy(1, 1, 0.6);
    assertEquals(Trigger.LOW_CONFIDENCE, policy.onPrediction(prediction("a", "digits", 0.59f)).trigger());
    assertEquals(Trigger.LOW_CONFIDENCE, policy.onPrediction(prediction("b", "digits", 0.10f)).trigger());
    // the one token is still there
    assertEquals(Trigger.SAMPLED, policy.onPrediction(prediction("c", "digits", 0.60f)).trigger());
    assertEquals(SkipReason.RATE_LIMITED, policy.onPrediction(prediction("d", "digits", 0.61f)).skipReason());
    millis = 999;
    assertEquals(SkipReason.RATE_LIMITED, policy.onPrediction(prediction("e", "digits", 0.9f)).skipReason());
    millis = 1000;
    assertEquals(Trigger.SAMPLED, policy.onPrediction(prediction("f", "digits", 0.9f)).trigger());
    assertEquals(Map.of(Trigger.LOW_CONFIDENCE, 2L, Trigger.SAMPLED, 2L), policy.sampledCounts());
  }

  @Test
  void everyPredictionIsExplainedWhileADetectorIsInAlarm() {
    SamplingPolicy policy = policy(0, 1, 0);
    assertEquals(SkipReason.RATE_LIMITED, policy.onPrediction(prediction("a", "digits", 0.9f)).skipReason());
    policy.onDrift(drift("ks", DriftReport.State.ALARM));
    policy.onDrift(drift("ph", DriftReport.State.ALARM));
    assertTrue(policy.driftAlarm());
    assertEquals(Trigger.DRIFT, policy.onPrediction(prediction("b", "digits", 0.9f)).trigger());
    policy.onDrift(drift("ks", DriftReport.State.CLEAR));
    assertEquals(Trigger.DRIFT, policy.onPrediction(prediction("c", "digits", 0.9f)).trigger());
    policy.onDrift(drift("ph", DriftReport.State.CLEAR));
    assertFalse(policy.driftAlarm());
    assertEquals(SkipReason.RATE_LIMITED, policy.onPrediction(prediction("d", "digits", 0.9f)).skipReason());
  }

  @Test
  void aWrongOutcomeIsExplainedOnceAndARightOneNever() {
    SamplingPolicy policy = policy(1, 1, 0);
    assertEquals(Trigger.SAMPLED, policy.onPrediction(prediction("a", "digits", 0.9f)).trigger());
    assertEquals(SkipReason.ALREADY_EXPLAINED, policy.onOutcome(outcome("a", 3, 4)).skipReason());
    assertEquals(SkipReason.CORRECT, policy.onOutcome(outcome("b", 3, 3)).skipReason());
    assertEquals(Trigger.WRONG, policy.onOutcome(outcome("c", 3, 4)).trigger());
    assertEquals(SkipReason.ALREADY_EXPLAINED, policy.onOutcome(outcome("c", 3, 4)).skipReason());
    SamplingPolicy off = new SamplingPolicy(new SamplingPolicy.Config(1, 1, 0, false, false, 10), "digits");
    assertEquals(SkipReason.RULE_OFF, off.onOutcome(outcome("c", 3, 4)).skipReason());
    off.onDrift(drift("ks", DriftReport.State.ALARM));
    off.onPrediction(prediction("x", "digits", 0.9f));
    assertEquals(SkipReason.RATE_LIMITED, off.onPrediction(prediction("y", "digits", 0.9f)).skipReason());
  }

  @Test
  void otherModelsAreSkipped() {
    SamplingPolicy policy = policy(100, 100, 1);
    assertEquals(SkipReason.OTHER_MODEL, policy.onPrediction(prediction("a", "fashion", 0.1f)).skipReason());
    policy.onDrift(new DriftReport(DriftReport.SCHEMA_VERSION, "r", "fashion", 1, "ks", DriftReport.State.ALARM, 5, 3,
        100, 10_000, 500, null, null, null, 0L));
    assertFalse(policy.driftAlarm());
  }

  @Test
  void configIsValidatedNamingTheField() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> new SamplingPolicy.Config(-1, 1, 0.5, true, true, 10));
    assertTrue(e.getMessage().contains("ratePerSecond"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new SamplingPolicy.Config(1, 1, 1.5, true, true, 10));
    assertTrue(e.getMessage().contains("lowConfidenceBelow"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new SamplingPolicy.Config(1, 0, 0.5, true, true, 10));
    assertTrue(e.getMessage().contains("burst"), e.getMessage());
  }

  @Test
  void theBucketRefillsAtItsRateUpToItsCapacity() {
    TokenBucket b = new TokenBucket(2, 3);
    long t = 5_000_000_000L;
    assertTrue(b.tryTake(t));
    assertTrue(b.tryTake(t));
    assertTrue(b.tryTake(t));
    assertFalse(b.tryTake(t));
    t += 10_000_000_000L; // 10 s later: 20 tokens' worth, capped at 3
    int taken = 0;
    while (b.tryTake(t)) {
      taken++;
    }
    assertEquals(3, taken);
    t += 500_000_000L;
    assertTrue(b.tryTake(t));
    assertFalse(b.tryTake(t));
    // time going backwards (out-of-order partitions) adds nothing
    assertFalse(b.tryTake(t - 2_000_000_000L));
    assertFalse(b.tryTake(t + 100_000_000L));
    assertTrue(b.tryTake(t + 500_000_000L));
  }

  @Test
  void theRateCountsPredictionTimeSoABacklogIsSampledLikeLiveTraffic() {
    // 10 s of traffic at 100/s read in one burst (a replay): the same 20 + 2 per second are chosen
    SamplingPolicy policy = policy(2, 20, 0);
    int explained = 0;
    for (int i = 0; i < 1000; i++) {
      explained += policy.onPrediction(prediction("s" + i, "digits", 0.99f, 1_000_000L + i * 10L)).explain() ? 1 : 0;
    }
    assertEquals(20 + 19, explained);
  }

  @Test
  void aChosenSampleTheBudgetSkippedCanStillBeExplainedWhenItsOutcomeIsWrong() {
    SamplingPolicy p = policy(0, 1, 0.5);
    assertEquals(Trigger.LOW_CONFIDENCE, p.onPrediction(prediction("a", "digits", 0.3f, 0)).trigger());
    assertEquals(Trigger.LOW_CONFIDENCE, p.onPrediction(prediction("b", "digits", 0.3f, 0)).trigger());
    p.notExplained("a"); // the budget skipped it
    assertEquals(Trigger.WRONG, p.onOutcome(outcome("a", 3, 5)).trigger());
    assertEquals(SkipReason.ALREADY_EXPLAINED, p.onOutcome(outcome("b", 3, 5)).skipReason());
  }
}
