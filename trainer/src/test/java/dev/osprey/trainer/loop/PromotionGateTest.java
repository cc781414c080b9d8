package dev.osprey.trainer.loop;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.GateDecision;
import static dev.osprey.trainer.loop.SimulatedPredictions.flip;
import static dev.osprey.trainer.loop.SimulatedPredictions.model;
import static dev.osprey.trainer.loop.SimulatedPredictions.perturb;
import static dev.osprey.trainer.loop.SimulatedPredictions.population;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.trainer.loop.SimulatedPredictions.Population;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PromotionGateTest {
  private final PromotionGate gate = new PromotionGate(GateConfig.defaults());

  /** Error rates on the drifted held-out slice of the champion, the teacher and the candidate. */
  private record Drift(double champion, double teacher, double candidate) {}

  private static final Drift NONE = new Drift(0.015, 0.008, 0.014);
  /** Like {@code noise:0.3}: the student loses a few points, the fine-tuned candidate recovers most. */
  private static final Drift NOISE = new Drift(0.08, 0.05, 0.03);
  /** Like {@code rotate:30}: the student loses a fifth of its accuracy. */
  private static final Drift ROTATION = new Drift(0.22, 0.15, 0.05);
  /** The champion at 60% accuracy. */
  private static final Drift HEAVY = new Drift(0.40, 0.30, 0.10);

  /** Reference test set of 10,000: champion 98.5%, teacher 99.2%, candidate 98.4%; held-out slice of 2,000. */
  private static GateEvidence simulate(Drift drift, double flips, long seed) {
    Population ref = population(10_000, 1);
    int[] championRef = model(ref, 0.015, 11);
    int[] candidateRef = model(ref, 0.016, 13);
    Population held = population(2_000, seed);
    return new GateEvidence(
        flip(held.truth(), flips, seed + 4),
        model(held, drift.champion(), seed + 1), model(held, drift.candidate(), seed + 3),
        model(held, drift.teacher(), seed + 2),
        ref.truth(), championRef, candidateRef, model(ref, 0.008, 12),
        candidateRef, perturb(candidateRef, 0.002, 14));
  }

  @ParameterizedTest
  @ValueSource(longs = {100, 200, 300, 400, 500})
  void honestFeedbackAfterADriftPassesAndThirtyPercentFlippedLabelsAreRefusedForTheirQuality(long seed) {
    for (Drift drift : List.of(ROTATION, NOISE)) {
      GateDecision clean = gate.decide(simulate(drift, 0.0, seed));
      assertEquals(List.of(), clean.refusals(), drift + " " + clean.figures());
      assertTrue(clean.passed());
      assertTrue(clean.summary().startsWith("gate passed: held-out "), clean.summary());

      GateDecision poisoned = gate.decide(simulate(drift, 0.30, seed));
      assertFalse(poisoned.passed(), drift + " " + poisoned.figures());
      assertEquals(1, poisoned.refusals().size(), poisoned.refusals().toString());
      assertTrue(poisoned.refusals().get(0).startsWith("label quality: on "), poisoned.refusals().get(0));
      assertTrue(poisoned.refusals().get(0).endsWith("the feedback looks broken or poisoned"));
      assertEquals("gate refused: " + poisoned.refusals().get(0), poisoned.summary());
      assertTrue(poisoned.figures().get("gate.labels.contradictUnanimous") > 0.25, poisoned.figures().toString());
      assertTrue(clean.figures().get("gate.labels.contradictUnanimous") < 0.02, clean.figures().toString());
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {100, 200, 300})
  void theGuardAloneAcceptsHonestLabelsAndRefusesFlipsWithoutDriftToo(long seed) {
    for (Drift drift : List.of(NONE, NOISE, ROTATION, HEAVY)) {
      assertFalse(LabelQualityGuard.assess(simulate(drift, 0.0, seed), GateConfig.defaults()).refused(), drift.toString());
      assertTrue(LabelQualityGuard.assess(simulate(drift, 0.30, seed), GateConfig.defaults()).refused(), drift.toString());
      assertTrue(LabelQualityGuard.assess(simulate(drift, 0.10, seed), GateConfig.defaults()).refused(), drift.toString());
    }
  }

  @Test
  void aChangeOfTheLabelsMeaningThatTheCandidateLearnedIsNotTakenForPoison() {
    Population held = population(2_000, 7);
    int[] newMeaning = SimulatedPredictions.relabel(held.truth(), 7, 1);
    Population ref = population(10_000, 1);
    int[] championRef = model(ref, 0.015, 11);
    GateEvidence e = new GateEvidence(newMeaning,
        model(held, 0.02, 8), model(held, newMeaning, 0.03, 0.6, 10), model(held, 0.01, 9),
        ref.truth(), championRef, championRef, model(ref, 0.008, 12), championRef, championRef);
    LabelQualityGuard.Verdict v = LabelQualityGuard.assess(e, GateConfig.defaults());
    assertFalse(v.refused(), v.figures().toString());
    // the champion and the teacher both miss every relabeled 7 (about a tenth of the slice)
    assertTrue(v.figures().get("gate.labels.disagreeBoth") > 0.09, v.figures().toString());
  }

  /**
   * 300 held-out samples: champion right on the first 200, candidate wrong on the first 10 and
   * right on the rest (b = 10, c = 100); teacher right except every 50th. Reference of 1,000:
   * champion 0.99, teacher 0.995, candidate wrong on {@code candidateReferenceErrors}; int8 differs
   * from fp32 on {@code int8Differences} samples.
   */
  private static GateEvidence handmade(int candidateReferenceErrors, int int8Differences) {
    int[] y = new int[300];
    int[] champion = new int[300];
    int[] candidate = new int[300];
    int[] teacher = new int[300];
    for (int i = 0; i < 300; i++) {
      y[i] = i % 10;
      champion[i] = i < 200 ? y[i] : (y[i] + 1) % 10;
      candidate[i] = i < 10 ? (y[i] + 3) % 10 : y[i];
      teacher[i] = i % 50 == 0 ? (y[i] + 2) % 10 : y[i];
    }
    int[] r = new int[1000];
    int[] championRef = new int[1000];
    int[] candidateRef = new int[1000];
    int[] teacherRef = new int[1000];
    for (int i = 0; i < 1000; i++) {
      r[i] = i % 10;
      championRef[i] = i % 100 == 0 ? (r[i] + 1) % 10 : r[i];
      candidateRef[i] = i % 10 == 0 && i / 10 < candidateReferenceErrors ? (r[i] + 1) % 10 : r[i];
      teacherRef[i] = i % 200 == 0 ? (r[i] + 1) % 10 : r[i];
    }
    int[] int8 = candidateRef.clone();
    for (int i = 0; i < int8Differences; i++) {
      int8[i * 7] = (int8[i * 7] + 5) % 10;
    }
    return new GateEvidence(y, champion, candidate, teacher, r, championRef, candidateRef, teacherRef,
        candidateRef, int8);
  }

  @Test
  void everyFigureOfAHandmadeCaseIsExact() {
    GateDecision d = gate.decide(handmade(20, 2));
    assertEquals(List.of(), d.refusals());
    assertEquals(300.0, d.figures().get("gate.heldOut.count"));
    assertEquals(200 / 300.0, d.figures().get("gate.heldOut.championAccuracy"));
    assertEquals(290 / 300.0, d.figures().get("gate.heldOut.candidateAccuracy"));
    assertEquals(10.0, d.figures().get("gate.mcnemar.championOnly"));
    assertEquals(100.0, d.figures().get("gate.mcnemar.candidateOnly"));
    assertEquals(Significance.binomialUpperTail(110, 100, 0.5), d.figures().get("gate.mcnemar.pBetter"));
    assertEquals(0.99, d.figures().get("gate.reference.championAccuracy"));
    assertEquals(0.98, d.figures().get("gate.reference.candidateAccuracy"));
    assertEquals(0.998, d.figures().get("gate.int8.agreement"));
    // labels off the champion and the teacher: i in [200, 300) with i % 50 == 0 -> 2
    assertEquals(2 / 300.0, d.figures().get("gate.labels.disagreeBoth"));
    // unanimous (all right): i in [10, 200) except 50, 100, 150 -> 187; none contradicted
    assertEquals(187 / 300.0, d.figures().get("gate.labels.unanimousShare"));
    assertEquals(0.0, d.figures().get("gate.labels.contradictUnanimous"));
    // reference: the champion errs on i % 100 == 0, the teacher on i % 200 == 0, the candidate on
    // i % 10 == 0 for i < 200, all naming the same wrong class. Split: 18 candidate-only errors and the
    // champion's 9 at i = 100..900; i = 0 is unanimous and wrong. Pseudo-counts of one.
    assertEquals(973 / 1000.0, d.figures().get("gate.labels.referenceUnanimousShare"));
    assertEquals(2 / 974.0, d.figures().get("gate.labels.referenceContradictUnanimous"));
    assertEquals((113 / 300.0) / (28 / 1001.0), d.figures().get("gate.labels.driftFactor"), 1e-12);
    assertEquals(2 / 974.0 * Math.pow((113 / 300.0) / (28 / 1001.0), 1.5) + 0.02, d.figures().get("gate.labels.allowance"),
        1e-12);
    assertEquals(1.0, d.figures().get("gate.passed"));
    assertEquals("gate passed: held-out 0.9667 vs champion 0.6667 (McNemar 100:10, p(better) = 4.0e-20), "
        + "reference 0.9800 vs 0.9900, int8 agreement 0.9980, labels contradicting the models 0.0000 <= "
        + String.format("%.4f", d.figures().get("gate.labels.allowance")), d.summary());
  }

  @Test
  void forgettingMoreThanOnePointIsRefused() {
    GateDecision d = gate.decide(handmade(21, 0));
    assertEquals(List.of("forgetting: reference accuracy 0.9790 is 0.0110 below the champion's 0.9900 (bound 0.0100)"),
        d.refusals());
    assertEquals(0.0, d.figures().get("gate.passed"));
  }

  @Test
  void int8DisagreementAboveHalfAPercentIsRefused() {
    assertTrue(gate.decide(handmade(0, 5)).passed());
    assertEquals(List.of("quantization: int8 agrees with fp32 on 0.9940 of 1000 samples, below 0.9950"),
        gate.decide(handmade(0, 6)).refusals());
  }

  @Test
  void aWorseCandidateFailsAccuracyAndMcNemarAndNonInferiorityAcceptsAnEqualOne() {
    GateEvidence e = handmade(0, 0);
    // swap the roles: the old candidate becomes the champion
    GateEvidence worse = new GateEvidence(e.heldOutLabels(), e.candidateHeldOut(), e.championHeldOut(),
        e.teacherHeldOut(), e.referenceLabels(), e.championReference(), e.championReference(), e.teacherReference(),
        e.candidateFp32(), e.candidateInt8());
    GateDecision d = gate.decide(worse);
    assertEquals(List.of(
        "held-out accuracy 0.6667 is below the champion's 0.9667 by more than the margin 0.0000",
        String.format("McNemar: the candidate is not significantly better (10 held-out samples only the candidate "
            + "got right vs 100 only the champion; one-sided p = %.3g >= 0.0500)",
            Significance.binomialUpperTail(110, 10, 0.5))), d.refusals());
    GateConfig d0 = GateConfig.defaults();
    PromotionGate nonInferiority = new PromotionGate(new GateConfig(d0.minHeldOut(), d0.heldOutMargin(),
        d0.forgettingBound(), d0.minInt8Agreement(), GateConfig.McNemarRule.NON_INFERIORITY, d0.alpha(),
        d0.labelTolerance(), d0.labelDriftExponent(), d0.labelAlpha()));
    assertTrue(nonInferiority.decide(new GateEvidence(e.heldOutLabels(), e.championHeldOut(), e.championHeldOut(),
        e.teacherHeldOut(), e.referenceLabels(), e.championReference(), e.championReference(), e.teacherReference(),
        e.candidateFp32(), e.candidateInt8())).passed());
    assertTrue(nonInferiority.decide(worse).refusals().get(1).startsWith("McNemar: the candidate is significantly worse"));
    // an equal candidate is not significantly better: refused under the default superiority rule
    assertFalse(gate.decide(new GateEvidence(e.heldOutLabels(), e.championHeldOut(), e.championHeldOut(),
        e.teacherHeldOut(), e.referenceLabels(), e.championReference(), e.championReference(), e.teacherReference(),
        e.candidateFp32(), e.candidateInt8())).passed());
  }

  @Test
  void tooFewHeldOutLabelsAndNoTeacherAreReportedAndTheFiguresStayFinite() {
    GateEvidence e = handmade(0, 0);
    int[] few = java.util.Arrays.copyOfRange(e.heldOutLabels(), 200, 250);
    GateEvidence small = new GateEvidence(few, java.util.Arrays.copyOfRange(e.championHeldOut(), 200, 250),
        java.util.Arrays.copyOfRange(e.candidateHeldOut(), 200, 250), null, e.referenceLabels(),
        e.championReference(), e.candidateReference(), null, e.candidateFp32(), e.candidateInt8());
    GateDecision d = gate.decide(small);
    assertEquals("too little evidence: the held-out slice has 50 labels, the gate needs 200", d.refusals().get(0));
    assertEquals(List.of("label-quality guard skipped: no teacher predictions"), d.notes());
    assertEquals(1.0, d.figures().get("gate.labels.skipped"));
    GateDecision empty = gate.decide(new GateEvidence(new int[0], new int[0], new int[0], null, new int[0], new int[0],
        new int[0], null, new int[0], new int[0]));
    assertEquals(List.of("too little evidence: the held-out slice has 0 labels, the gate needs 200",
        "forgetting unchecked: no reference test predictions",
        "quantization unchecked: no int8 and fp32 predictions to compare"), empty.refusals());
    assertEquals("gate refused: too little evidence: the held-out slice has 0 labels, the gate needs 200 (+2 more)",
        empty.summary());
  }

  @Test
  void misalignedEvidenceIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GateEvidence(
        new int[3], new int[3], new int[2], null, new int[0], new int[0], new int[0], null, new int[0], new int[0]));
    assertEquals("held-out: arrays of 3 and 2 samples", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new GateEvidence(
        new int[3], new int[3], new int[3], new int[3], new int[0], new int[0], new int[0], null, new int[0], new int[0]));
  }

  @Test
  void theDecisionCarriesEveryFigureAndSurvivesTheEventCodec() {
    GateDecision d = gate.decide(handmade(20, 2));
    EventCodec codec = new EventCodec();
    GateDecision back = codec.decode(codec.encode(d), GateDecision.class);
    assertEquals(d, back);
    assertEquals(d.figures(), back.figures());
    assertEquals(d.summary(), back.summary());
  }
}
