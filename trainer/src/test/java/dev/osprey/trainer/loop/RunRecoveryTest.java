package dev.osprey.trainer.loop;

import dev.osprey.core.event.RunTransition;
import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.RunRequest;
import dev.osprey.core.event.TriggerKind;
import dev.osprey.core.event.StrategyChoice;
import dev.osprey.core.event.Strategy;
import dev.osprey.core.event.GateDecision;
import static dev.osprey.trainer.loop.LoopEvents.MODEL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.trainer.loop.RunRecovery.Action;
import dev.osprey.trainer.loop.RunRecovery.Plan;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunRecoveryTest {
  private static final GateDecision PASSED =
      new GateDecision(true, Map.of("gate.passed", 1.0), "gate passed: ...", List.of(), List.of());
  private static final GateDecision REFUSED = new GateDecision(false, Map.of("gate.passed", 0.0),
      "gate refused: forgetting", List.of("forgetting"), List.of());
  private static final StrategyChoice FINE_TUNE = new StrategyChoice(Strategy.FINE_TUNE, "fine-tune: moderate", Map.of());

  private static RunRequest request(String anchor, long at) {
    return new RunRequest(TriggerPolicy.runId(MODEL, TriggerKind.DRIFT, anchor), TriggerKind.DRIFT, anchor,
        "drift alarm " + anchor, at, EnumSet.of(TriggerKind.DRIFT), Map.of("labelsSinceOnset", 1000.0));
  }

  /** A successful run of champion v3 producing v4: every record it writes, in order. */
  private static List<RunTransition> successfulRun() {
    List<RunTransition> h = new ArrayList<>();
    h.add(RunTransition.triggered(request("r1", 1_000), MODEL, 3, 1_000));
    h.add(h.get(0).training(FINE_TUNE, 2_000));
    h.add(h.get(1).published(4, 50_000));
    h.add(h.get(2).gated(PASSED, 60_000));
    h.add(h.get(3).activated(61_000));
    h.add(h.get(4).kept("keep v4", 200_000));
    return h;
  }

  @Test
  void transitionsFollowTheLegalMovesOnly() {
    List<RunTransition> h = successfulRun();
    assertEquals(List.of(1, 2, 3, 4, 5, 6), h.stream().map(RunTransition::seq).toList());
    assertEquals(List.of(RunPhase.TRIGGERED, RunPhase.TRAINING, RunPhase.PUBLISHED, RunPhase.GATED, RunPhase.ACTIVATED,
        RunPhase.KEPT), h.stream().map(RunTransition::phase).toList());
    RunTransition done = h.get(5);
    assertEquals(4, done.candidateVersion());
    assertEquals(3, done.championVersion());
    assertEquals(Map.of(RunPhase.TRIGGERED, 1_000L, RunPhase.TRAINING, 48_000L, RunPhase.PUBLISHED, 10_000L,
        RunPhase.GATED, 1_000L, RunPhase.ACTIVATED, 139_000L), done.phaseDurations());
    // an activated run can never be activated again, nor a finished one moved on
    IllegalStateException twice = assertThrows(IllegalStateException.class, () -> h.get(4).activated(70_000));
    assertEquals("run " + h.get(0).runId() + ": ACTIVATED -> ACTIVATED is not allowed", twice.getMessage());
    assertThrows(IllegalStateException.class, () -> done.abandoned("late", 1));
    assertThrows(IllegalStateException.class, () -> h.get(0).published(4, 1));
    assertThrows(IllegalStateException.class, () -> h.get(2).activated(1));
    RunTransition refused = h.get(2).gated(REFUSED, 60_000);
    assertTrue(refused.isTerminal());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> refused.activated(61_000));
    assertEquals("run " + h.get(0).runId() + ": GATED (terminal) -> ACTIVATED is not allowed", e.getMessage());
    // a restart of training is the next attempt, keeping the phase's first entry time
    RunTransition second = h.get(1).training(FINE_TUNE, 9_000);
    assertEquals(2, second.attempt());
    assertEquals(2_000L, second.phaseTimes().get(RunPhase.TRAINING));
  }

  @Test
  void everyTruncationOfARunsHistoryRecoversToTheRightAction() {
    List<RunTransition> h = successfulRun();
    List<Optional<Action>> expected = List.of(Optional.of(Action.START_TRAINING), Optional.of(Action.RESTART_TRAINING),
        Optional.of(Action.GATE_AGAIN), Optional.of(Action.ACTIVATE), Optional.of(Action.RESUME_WATCH), Optional.empty());
    for (int k = 1; k <= h.size(); k++) {
      List<RunTransition> prefix = h.subList(0, k);
      int serving = k >= 5 ? 4 : 3;
      Optional<Action> want = expected.get(k - 1);
      assertEquals(want, action(prefix, serving), "prefix " + k);
      // duplicated, reordered, or compacted to the latest record: the same answer
      List<RunTransition> messy = new ArrayList<>(prefix);
      messy.addAll(prefix);
      Collections.reverse(messy);
      assertEquals(want, action(messy, serving), "messy prefix " + k);
      assertEquals(want, action(List.of(prefix.get(k - 1)), serving), "compacted prefix " + k);
    }
  }

  private static Optional<Action> action(List<RunTransition> log, int serving) {
    return RunRecovery.recover(log, MODEL, serving, 3).resume().map(RunRecovery.Step::action);
  }

  @Test
  void theServingVersionResolvesACrashAroundANonTransactionalActivation() {
    List<RunTransition> h = successfulRun();
    List<RunTransition> gated = h.subList(0, 4);
    assertEquals(Optional.of(Action.RECORD_ACTIVATION), action(gated, 4));
    assertEquals(Optional.of(Action.ABANDON), RunRecovery.recover(gated, MODEL, 7, 3).steps().stream()
        .findFirst().map(RunRecovery.Step::action));
    List<RunTransition> activated = h.subList(0, 5);
    assertEquals(Optional.of(Action.RECORD_ROLLBACK), action(activated, 3));
    RunRecovery.Step third = RunRecovery.recover(activated, MODEL, 9, 3).steps().get(0);
    assertEquals(Action.ABANDON, third.action());
    assertEquals("the serving version changed to v9 while v4 was watched", third.reason());
  }

  @Test
  void aVersionPublishedJustBeforeTheCrashIsRecordedNotTrainedAgain() {
    List<RunTransition> training = successfulRun().subList(0, 2);
    String id = training.get(0).runId();
    RunRecovery.Step s = RunRecovery.recover(training, MODEL, 3, 3, Map.of(id, 4, "other-run", 2)).steps().get(0);
    assertEquals(Action.RECORD_PUBLISHED, s.action());
    assertEquals("v4 was published before the crash; recording it", s.reason());
    assertEquals(Action.RESTART_TRAINING, RunRecovery.recover(training, MODEL, 3, 3, Map.of("other-run", 2))
        .steps().get(0).action());
  }

  @Test
  void trainingThatKeepsCrashingIsAbandonedAfterTheAttemptLimit() {
    RunTransition t = RunTransition.triggered(request("r1", 0), MODEL, 3, 0).training(FINE_TUNE, 1);
    t = t.training(FINE_TUNE, 2).training(FINE_TUNE, 3);
    RunRecovery.Step s = RunRecovery.recover(List.of(t), MODEL, 3, 3).steps().get(0);
    assertEquals(Action.ABANDON, s.action());
    assertEquals("training did not complete in 3 attempts", s.reason());
    assertEquals(Optional.empty(), RunRecovery.recover(List.of(t), MODEL, 3, 3).resume());
    assertEquals(Action.RESTART_TRAINING, RunRecovery.recover(List.of(t), MODEL, 3, 4).steps().get(0).action());
  }

  @Test
  void onlyTheLatestUnfinishedRunContinuesAndThePlanFeedsTheTriggerAndStrategy() {
    RunTransition old = RunTransition.triggered(request("r0", 100), MODEL, 3, 100).training(FINE_TUNE, 200);
    RunTransition newer = RunTransition.triggered(request("r2", 500), MODEL, 3, 500);
    List<RunTransition> done = successfulRun();
    RunTransition otherModel = RunTransition.triggered(request("r9", 900), "other", 1, 900);
    Plan plan = RunRecovery.recover(List.of(done.get(5), old, newer, otherModel), MODEL, 4, 3);
    assertEquals(List.of(Action.START_TRAINING, Action.ABANDON), plan.steps().stream().map(RunRecovery.Step::action).toList());
    assertEquals(newer.runId(), plan.resume().orElseThrow().run().runId());
    assertEquals("superseded by run " + newer.runId() + " (one run at a time)", plan.steps().get(1).reason());
    assertEquals(List.of(old.runId(), newer.runId(), done.get(0).runId()), List.copyOf(plan.knownRunIds()));
    assertEquals(List.of(Strategy.FINE_TUNE), plan.promotedStrategies());
    assertEquals(Optional.of(200_000L), plan.lastFinishedAt());
    RunTransition rolledBack = done.get(4).rolledBack("rollback to v3", 90_000);
    assertEquals(List.of(), RunRecovery.recover(List.of(rolledBack), MODEL, 3, 3).promotedStrategies());
  }

  /**
   * The protocol under crashes: a trainer that dies after any one of its writes and restarts from the
   * run log, the registry and {@code osprey.models} finishes the run with exactly one published
   * version and exactly one activation, whether the activation and its record share a transaction
   * or not.
   */
  @Test
  void aTrainerKilledAfterAnyWriteActivatesExactlyOnce() {
    for (boolean transactional : new boolean[] {true, false}) {
      for (int crashAfter = 1; crashAfter <= 9; crashAfter++) {
        SimulatedTrainer sim = new SimulatedTrainer(transactional, crashAfter);
        sim.runToTheEnd();
        String at = (transactional ? "transactional" : "plain") + ", crash after write " + crashAfter;
        assertEquals(List.of(3, 4), sim.models, at);
        assertEquals(1, sim.publishes, at);
        assertEquals(RunPhase.KEPT, sim.runLog.get(sim.runLog.size() - 1).phase(), at);
        assertTrue(sim.restarts <= 1, at);
      }
    }
  }

  /** The trainer's write sequence over an in-memory run log and models topic, dying once after write n. */
  private static final class SimulatedTrainer {
    final List<RunTransition> runLog = new ArrayList<>();
    final List<Integer> models = new ArrayList<>(List.of(3));
    final Map<String, Integer> registry = new java.util.HashMap<>();
    int publishes;
    final boolean transactional;
    int crashAfter;
    int writes;
    int restarts;

    SimulatedTrainer(boolean transactional, int crashAfter) {
      this.transactional = transactional;
      this.crashAfter = crashAfter;
    }

    private static final class Crash extends RuntimeException {}

    void write(Runnable effect) {
      effect.run();
      if (++writes == crashAfter) {
        throw new Crash();
      }
    }

    void runToTheEnd() {
      try {
        RunTransition t = RunTransition.triggered(request("r1", 0), MODEL, 3, 0);
        write(() -> runLog.add(t));
        carryOn(new RunRecovery.Step(Action.START_TRAINING, t, "fresh"));
      } catch (Crash c) {
        restart();
      }
    }

    void restart() {
      restarts++;
      Plan plan = RunRecovery.recover(runLog, MODEL, models.get(models.size() - 1), 3, registry);
      plan.resume().ifPresent(this::carryOn);
    }

    private void carryOn(RunRecovery.Step step) {
      try {
        RunTransition r = step.run();
        switch (step.action()) {
          case START_TRAINING, RESTART_TRAINING -> r = append(r.training(FINE_TUNE, 1));
          case RECORD_PUBLISHED -> r = append(r.published(registry.get(r.runId()), 2));
          default -> { }
        }
        if (r.phase() == RunPhase.TRAINING) {
          String id = r.runId();
          write(() -> {
            registry.put(id, 4);
            publishes++;
          });
          r = append(r.published(4, 2));
        }
        if (r.phase() == RunPhase.PUBLISHED) {
          r = append(r.gated(PASSED, 3));
        }
        if (r.phase() == RunPhase.GATED) {
          RunTransition activated = r.activated(4);
          if (step.action() == Action.RECORD_ACTIVATION) {
            append(activated);
          } else if (transactional) {
            write(() -> {
              models.add(activated.candidateVersion());
              runLog.add(activated);
            });
          } else {
            write(() -> models.add(activated.candidateVersion()));
            append(activated);
          }
          r = activated;
        }
        append(r.kept("keep v4", 5));
      } catch (Crash c) {
        restart();
      }
    }

    private RunTransition append(RunTransition t) {
      write(() -> runLog.add(t));
      return t;
    }
  }

  @Test
  void aFinishedRunIsSummarisedForMetricsAndTheTimeline() throws Exception {
    RunTransition last = successfulRun().get(5);
    TrainingRunReport r = TrainingRunReport.of(last);
    assertEquals("drift", r.trigger());
    assertEquals("fine-tune", r.strategy());
    assertEquals("kept", r.outcome());
    assertEquals(4, r.candidateVersion());
    assertEquals("keep v4", r.summary());
    assertEquals(Map.of("trigger.labelsSinceOnset", 1000.0, "gate.passed", 1.0), r.figures());
    assertEquals(Map.of("triggered", 1_000L, "training", 48_000L, "published", 10_000L, "gated", 1_000L,
        "activated", 139_000L), r.phaseMillis());
    RunTransition refused = successfulRun().get(2).gated(REFUSED, 70_000);
    assertEquals("refused", TrainingRunReport.of(refused).outcome());
    assertEquals(List.of("forgetting"), TrainingRunReport.of(refused).refusals());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainingRunReport.of(successfulRun().get(4)));
    assertEquals("run " + last.runId() + " is not finished (ACTIVATED)", e.getMessage());
    ObjectMapper json = new ObjectMapper();
    assertEquals(r, json.readValue(json.writeValueAsBytes(r), TrainingRunReport.class));
  }

  @Test
  void aTransitionSurvivesTheRunsTopicSerde() {
    Topic<String, RunTransition> runs = Topics.defaults().runs();
    for (RunTransition t : successfulRun()) {
      byte[] bytes = runs.valueSerde().serializer().serialize(runs.name(), t);
      assertEquals(t, runs.valueSerde().deserializer().deserialize(runs.name(), bytes));
    }
  }
}
