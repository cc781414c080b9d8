package dev.osprey.trainer.loop;

import dev.osprey.core.event.RunRequest;
import dev.osprey.core.event.TriggerKind;
import static dev.osprey.trainer.loop.LoopEvents.MODEL;
import static dev.osprey.trainer.loop.LoopEvents.alarm;
import static dev.osprey.trainer.loop.LoopEvents.clear;
import static dev.osprey.trainer.loop.LoopEvents.labeled;
import static dev.osprey.trainer.loop.LoopEvents.outcome;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.DriftReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TriggerPolicyTest {
  private static final long T0 = 1_000_000L;
  private static final Duration COOLDOWN = Duration.ofSeconds(60);

  private static TriggerConfig config(int m, int n, Duration schedule, double floor, int k) {
    return new TriggerConfig(MODEL, m, n, schedule, floor, k, COOLDOWN, 100);
  }

  private static TriggerConfig labelsOnly(int n) {
    return config(-1, n, Duration.ZERO, 0, 10);
  }

  @Test
  void newLabelsFireAtTheNthLabelWithAnIdDerivedFromIt() {
    TriggerPolicy p = new TriggerPolicy(labelsOnly(3), new FakeClock(T0));
    assertEquals(Optional.empty(), p.onLabeled(labeled("s1", 1, 10)));
    assertEquals(Optional.empty(), p.onLabeled(labeled("s2", 2, 20)));
    RunRequest r = p.onLabeled(labeled("s3", 3, 30)).orElseThrow();
    assertEquals(TriggerKind.NEW_LABELS, r.trigger());
    assertEquals("s3@30", r.anchor());
    assertEquals(TriggerPolicy.runId(MODEL, TriggerKind.NEW_LABELS, "s3@30"), r.runId());
    assertTrue(r.runId().matches("labels-[0-9a-f]{16}"), r.runId());
    assertEquals(T0, r.requestedAt());
    assertEquals(EnumSet.of(TriggerKind.NEW_LABELS), r.held());
    assertEquals(3.0, r.figures().get("labelsSinceLastRun"));
    assertEquals("3 new labels since the last run (threshold 3)", r.reason());
    assertEquals(Optional.of(r.runId()), p.runInFlight());
    assertEquals(0, p.labelsSinceLastRun());
  }

  @Test
  void oneRunAtATimeThenCooldownThenTheHeldTriggerFiresWithItsOriginalAnchor() {
    FakeClock clock = new FakeClock(T0);
    TriggerPolicy p = new TriggerPolicy(labelsOnly(2), clock);
    p.onLabeled(labeled("a", 0, 1));
    String first = p.onLabeled(labeled("b", 0, 2)).orElseThrow().runId();
    // in flight: the condition holds again but no second run starts
    assertEquals(Optional.empty(), p.onLabeled(labeled("c", 0, 3)));
    assertEquals(Optional.empty(), p.onLabeled(labeled("d", 0, 4)));
    assertEquals(Optional.empty(), p.onTick());
    clock.advance(Duration.ofSeconds(10));
    p.runFinished(first, clock.millis());
    assertEquals(Optional.empty(), p.runInFlight());
    // cooling down until finish + 60 s
    clock.advance(COOLDOWN.minusMillis(1));
    assertEquals(Optional.empty(), p.onTick());
    assertEquals(Optional.empty(), p.onLabeled(labeled("e", 0, 5)));
    clock.advance(Duration.ofMillis(1));
    RunRequest second = p.onTick().orElseThrow();
    assertEquals("d@4", second.anchor());
    assertEquals(T0 + 70_000, second.requestedAt());
    assertEquals(3.0, second.figures().get("labelsSinceLastRun"));
  }

  @Test
  void runFinishedForAnotherRunIsRejected() {
    TriggerPolicy p = new TriggerPolicy(labelsOnly(1), new FakeClock(T0));
    String id = p.onLabeled(labeled("a", 0, 1)).orElseThrow().runId();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.runFinished("labels-x", T0));
    assertEquals("run labels-x is not in flight (in flight: " + id + ")", e.getMessage());
    assertThrows(IllegalStateException.class, () -> p.runResumed("other"));
  }

  @Test
  void driftNeedsMLabelsOfSamplesAtOrAfterTheOnsetIncludingLabelsThatArrivedBeforeTheAlarm() {
    TriggerPolicy p = new TriggerPolicy(config(3, 0, Duration.ZERO, 0, 10), new FakeClock(T0));
    p.onLabeled(labeled("pre", 0, 100));
    p.onLabeled(labeled("post1", 0, 200));
    assertEquals(Optional.empty(), p.onDrift(alarm("r1", "page-hinkley", 1, 400, 150L)));
    // a late label for a sample before the onset does not count
    assertEquals(Optional.empty(), p.onLabeled(labeled("late", 0, 120)));
    assertEquals(Optional.empty(), p.onLabeled(labeled("post2", 0, 210)));
    RunRequest r = p.onLabeled(labeled("post3", 0, 220)).orElseThrow();
    assertEquals(TriggerKind.DRIFT, r.trigger());
    assertEquals("r1", r.anchor());
    assertEquals(TriggerPolicy.runId(MODEL, TriggerKind.DRIFT, "r1"), r.runId());
    assertEquals(3.0, r.figures().get("labelsSinceOnset"));
    assertEquals(12.5, r.figures().get("driftStatistic"));
    assertEquals("drift alarm r1 (page-hinkley, v1) with 3 labels since its onset", r.reason());
  }

  @Test
  void withoutAnOnsetDetailTheOnsetIsTheReportTime() {
    TriggerPolicy p = new TriggerPolicy(config(1, 0, Duration.ZERO, 0, 10), new FakeClock(T0));
    p.onLabeled(labeled("x", 0, 399));
    assertEquals(Optional.empty(), p.onDrift(alarm("r1", "ks", 1, 400, null)));
    assertEquals("r1", p.onLabeled(labeled("y", 0, 400)).orElseThrow().anchor());
  }

  @Test
  void clearCancelsAnAlarmAndDuplicatesOtherModelsAndOldVersionsAreIgnored() {
    TriggerPolicy p = new TriggerPolicy(config(1, 0, Duration.ZERO, 0, 10), new FakeClock(T0));
    p.onDrift(alarm("r1", "ks", 1, 100, 100L));
    p.onDrift(clear("r2", "ks", 1, 150));
    assertEquals(Optional.empty(), p.onLabeled(labeled("a", 0, 200)));
    p.onDrift(LoopEvents.report("other", "r3", "ks", 1, DriftReport.State.ALARM, 100, 100L));
    assertEquals(Optional.empty(), p.onLabeled(labeled("b", 0, 200)));
    p.onServingVersion(2);
    p.onDrift(alarm("r4", "ks", 1, 100, 100L));
    assertEquals(Optional.empty(), p.onLabeled(labeled("c", 0, 200)));
    // the same alarm for the serving version fires once; re-delivery of the report does not re-arm it
    RunRequest r = p.onDrift(alarm("r5", "ks", 2, 300, 100L)).orElseThrow();
    assertEquals("r5", r.anchor());
    assertEquals(3.0, r.figures().get("labelsSinceOnset"));
    p.runFinished(r.runId(), 0);
    assertEquals(Optional.empty(), p.onDrift(alarm("r5", "ks", 2, 300, 100L)));
    assertEquals(Optional.empty(), p.onLabeled(labeled("d", 0, 400)));
    // a new alarm report re-arms the trigger
    assertEquals("r6", p.onDrift(alarm("r6", "ks", 2, 500, 100L)).orElseThrow().anchor());
  }

  @Test
  void accuracyBelowTheFloorOverAFullWindowFiresAndRecoveryDisarmsIt() {
    FakeClock clock = new FakeClock(T0);
    TriggerPolicy p = new TriggerPolicy(config(-1, 0, Duration.ZERO, 0.75, 4), clock);
    p.onServingVersion(3);
    assertEquals(Optional.empty(), p.onOutcome(outcome("o1", 3, false, 1)));
    assertEquals(Optional.empty(), p.onOutcome(outcome("o2", 3, false, 2)));
    assertEquals(Optional.empty(), p.onOutcome(outcome("o3", 3, true, 3)));
    // outcomes of another version are ignored
    assertEquals(Optional.empty(), p.onOutcome(outcome("old", 2, false, 4)));
    RunRequest r = p.onOutcome(outcome("o4", 3, true, 5)).orElseThrow(); // F F T T = 0.5 over a full window
    assertEquals(TriggerKind.ACCURACY_FLOOR, r.trigger());
    assertEquals("o4@v3@5", r.anchor());
    assertEquals(0.5, r.figures().get("onlineAccuracy"));
    assertEquals("online accuracy 0.5000 over the last 4 outcomes is below the floor 0.7500", r.reason());
    p.runFinished(r.runId(), T0);
    // the window restarted: 4 fresh outcomes are needed; 3/4 = 0.75 is not below the floor
    for (int i = 0; i < 3; i++) {
      assertEquals(Optional.empty(), p.onOutcome(outcome("n" + i, 3, true, 10 + i)));
    }
    assertEquals(Optional.empty(), p.onOutcome(outcome("n3", 3, false, 13)));
    // below the floor during the cooldown, then back above it: nothing fires when the cooldown ends
    assertEquals(Optional.empty(), p.onOutcome(outcome("n4", 3, false, 14))); // T T F F = 0.5
    assertEquals(Optional.empty(), p.onOutcome(outcome("n5", 3, true, 15))); // T F F T = 0.5
    assertEquals(Optional.empty(), p.onOutcome(outcome("n6", 3, true, 16))); // F F T T = 0.5
    assertEquals(Optional.empty(), p.onOutcome(outcome("n7", 3, true, 17))); // F T T T = 0.75: disarmed
    clock.advance(COOLDOWN);
    assertEquals(Optional.empty(), p.onTick());
  }

  @Test
  void scheduleFiresOncePerSlotAndAnyRunServesItsSlot() {
    Duration hour = Duration.ofHours(1);
    long h = hour.toMillis();
    FakeClock clock = new FakeClock(10 * h + h / 2); // 10:30
    TriggerPolicy p = new TriggerPolicy(new TriggerConfig(MODEL, 0, 0, hour, 0, 10, Duration.ZERO, 10), clock);
    clock.set(11 * h - 1);
    assertEquals(Optional.empty(), p.onTick());
    clock.set(11 * h);
    RunRequest r = p.onTick().orElseThrow();
    assertEquals(TriggerKind.SCHEDULE, r.trigger());
    assertEquals("slot-11", r.anchor());
    assertEquals("scheduled run for slot 11 (every PT1H)", r.reason());
    p.runFinished(r.runId(), clock.millis());
    clock.set(11 * h + h / 2);
    assertEquals(Optional.empty(), p.onTick());
    clock.set(12 * h + 5);
    // a drift run at 12:00 serves slot 12; the schedule waits for 13:00
    RunRequest drift = p.onDrift(alarm("r1", "ks", 1, 0, 0L)).orElseThrow();
    assertEquals(EnumSet.of(TriggerKind.DRIFT, TriggerKind.SCHEDULE), drift.held());
    p.runFinished(drift.runId(), clock.millis());
    clock.set(12 * h + h / 2);
    assertEquals(Optional.empty(), p.onTick());
    clock.set(13 * h);
    assertEquals("slot-13", p.onTick().orElseThrow().anchor());
  }

  @Test
  void severalTriggersHoldingAtOnceCreditTheMostSpecificAndResetAll() {
    TriggerPolicy p = new TriggerPolicy(config(2, 2, Duration.ZERO, 0, 10), new FakeClock(T0));
    p.onDrift(alarm("r1", "ks", 1, 0, 0L));
    assertEquals(Optional.empty(), p.onLabeled(labeled("a", 0, 5)));
    RunRequest r = p.onLabeled(labeled("b", 0, 6)).orElseThrow();
    assertEquals(TriggerKind.DRIFT, r.trigger());
    assertEquals(EnumSet.of(TriggerKind.DRIFT, TriggerKind.NEW_LABELS), r.held());
    p.runFinished(r.runId(), 0);
    // both reset: one more label satisfies neither
    assertEquals(Optional.empty(), p.onLabeled(labeled("c", 0, 7)));
    assertEquals(TriggerKind.NEW_LABELS, p.onLabeled(labeled("d", 0, 8)).orElseThrow().trigger());
  }

  @Test
  void replayingTheSameLogWithAnotherClockDerivesTheSameRunIds() {
    List<String> first = replayIds(new FakeClock(T0));
    assertEquals(first, replayIds(new FakeClock(T0 + 86_400_000L)));
    assertEquals(List.of(
        TriggerPolicy.runId(MODEL, TriggerKind.DRIFT, "r-5"),
        TriggerPolicy.runId(MODEL, TriggerKind.ACCURACY_FLOOR, "o18@v1@118"),
        TriggerPolicy.runId(MODEL, TriggerKind.NEW_LABELS, "s32@132")), first);
  }

  /** A log with a drift-triggered run, then one on accuracy, then one on labels. */
  private static List<String> replayIds(FakeClock clock) {
    TriggerPolicy p = new TriggerPolicy(new TriggerConfig(MODEL, 3, 10, Duration.ZERO, 0.6, 5, COOLDOWN, 100), clock);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Optional<RunRequest> r = i == 5 ? p.onDrift(alarm("r-" + i, "ks", 1, 100 + i, 100L))
          : i % 3 == 0 ? p.onOutcome(outcome("o" + i, 1, i > 24 && i % 2 == 0, 100 + i))
          : p.onLabeled(labeled("s" + i, 0, 100 + i));
      if (r.isPresent()) {
        ids.add(r.get().runId());
        p.runFinished(r.get().runId(), clock.millis() - COOLDOWN.toMillis());
      }
    }
    return ids;
  }
}
