package dev.osprey.core.event;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * One step of a retraining run, written to the run log (topic {@code osprey.runs}, key = run id). Each record carries the run's whole state after the step, not just the step, so the
 * latest record per run is enough to recover it: the topic may be compacted, and a replay that
 * lost earlier records (or sees one twice) still recovers exactly (the trainer's {@code RunRecovery}).
 *
 * <p>Steps are made only through the methods below, which enforce {@link RunPhase}'s legal moves;
 * in particular there is no way to activate a run twice, or to activate one the gate refused.
 *
 * @param schemaVersion record schema version
 * @param runId the run's deterministic id ({@link RunRequest#runId()})
 * @param seq 1 for TRIGGERED, +1 per step; orders a run's records and makes replays idempotent
 * @param phase the phase entered by this step
 * @param modelName registry name of the model
 * @param championVersion the serving version when the run was triggered: the gate's champion and
 *     the rollback target
 * @param request what triggered the run
 * @param strategy how it trains, from TRAINING on (null before)
 * @param attempt training attempts started (0 before TRAINING)
 * @param candidateVersion the candidate's registry version, from PUBLISHED on (null before)
 * @param gate the gate's decision, from GATED on (null before)
 * @param reason why this step was taken (abandon, keep or rollback reason; activation summary), or null
 * @param phaseTimes when the run first entered each phase so far, epoch milliseconds
 * @param timestamp when this step was taken, epoch milliseconds
 */
public record RunTransition(
    int schemaVersion,
    String runId,
    int seq,
    RunPhase phase,
    String modelName,
    int championVersion,
    RunRequest request,
    StrategyChoice strategy,
    int attempt,
    Integer candidateVersion,
    GateDecision gate,
    String reason,
    Map<RunPhase, Long> phaseTimes,
    long timestamp) {

  public static final int SCHEMA_VERSION = 1;

  /** @throws IllegalArgumentException if a required field is missing */
  public RunTransition {
    if (runId == null || runId.isBlank() || phase == null || modelName == null || request == null || seq < 1) {
      throw new IllegalArgumentException("a run transition needs a run id, seq >= 1, a phase, a model and its request");
    }
    EnumMap<RunPhase, Long> times = new EnumMap<>(RunPhase.class);
    if (phaseTimes != null) {
      times.putAll(phaseTimes);
    }
    phaseTimes = Collections.unmodifiableMap(times);
  }

  /** The first step of a run. */
  public static RunTransition triggered(RunRequest request, String modelName, int championVersion, long now) {
    return new RunTransition(SCHEMA_VERSION, request.runId(), 1, RunPhase.TRIGGERED, modelName, championVersion,
        request, null, 0, null, null, request.reason(), Map.of(RunPhase.TRIGGERED, now), now);
  }

  /** Training starts: attempt 1 from TRIGGERED, the next attempt when TRAINING is restarted after a crash. */
  public RunTransition training(StrategyChoice choice, long now) {
    check(RunPhase.TRAINING);
    return new RunTransition(SCHEMA_VERSION, runId, seq + 1, RunPhase.TRAINING, modelName, championVersion, request,
        choice, attempt + 1, null, null, choice.reason(), times(RunPhase.TRAINING, now), now);
  }

  /** The candidate is complete in the registry as {@code version}. */
  public RunTransition published(int version, long now) {
    check(RunPhase.PUBLISHED);
    return new RunTransition(SCHEMA_VERSION, runId, seq + 1, RunPhase.PUBLISHED, modelName, championVersion, request,
        strategy, attempt, version, null, null, times(RunPhase.PUBLISHED, now), now);
  }

  /** The gate decided. */
  public RunTransition gated(GateDecision decision, long now) {
    check(RunPhase.GATED);
    return new RunTransition(SCHEMA_VERSION, runId, seq + 1, RunPhase.GATED, modelName, championVersion, request,
        strategy, attempt, candidateVersion, decision, decision.summary(), times(RunPhase.GATED, now), now);
  }

  /**
   * The candidate was activated (write this in the same Kafka transaction as the activation).
   *
   * @throws IllegalStateException unless the run is GATED with a passed decision
   */
  public RunTransition activated(long now) {
    check(RunPhase.ACTIVATED);
    if (!gate.passed()) {
      throw new IllegalStateException("run " + runId + ": the gate refused the candidate, it cannot be activated");
    }
    return new RunTransition(SCHEMA_VERSION, runId, seq + 1, RunPhase.ACTIVATED, modelName, championVersion, request,
        strategy, attempt, candidateVersion, gate, gate.summary(), times(RunPhase.ACTIVATED, now), now);
  }

  /** The rollback watch kept the candidate. */
  public RunTransition kept(String why, long now) {
    check(RunPhase.KEPT);
    return end(RunPhase.KEPT, why, now);
  }

  /** The rollback watch reactivated {@link #championVersion()} (same transaction as that activation). */
  public RunTransition rolledBack(String why, long now) {
    check(RunPhase.ROLLED_BACK);
    return end(RunPhase.ROLLED_BACK, why, now);
  }

  /** Gives the run up. */
  public RunTransition abandoned(String why, long now) {
    check(RunPhase.ABANDONED);
    return end(RunPhase.ABANDONED, why, now);
  }

  /** Whether the run is over: KEPT, ROLLED_BACK, ABANDONED, or GATED with a refusal. */
  @JsonIgnore
  public boolean isTerminal() {
    return switch (phase) {
      case KEPT, ROLLED_BACK, ABANDONED -> true;
      case GATED -> !gate.passed();
      default -> false;
    };
  }

  /** Milliseconds spent in each phase left so far (a phase's entry to the next phase's entry). */
  public Map<RunPhase, Long> phaseDurations() {
    EnumMap<RunPhase, Long> out = new EnumMap<>(RunPhase.class);
    RunPhase previous = null;
    for (Map.Entry<RunPhase, Long> e : phaseTimes.entrySet()) {
      if (previous != null) {
        out.put(previous, e.getValue() - phaseTimes.get(previous));
      }
      previous = e.getKey();
    }
    return out;
  }

  private RunTransition end(RunPhase terminal, String why, long now) {
    return new RunTransition(SCHEMA_VERSION, runId, seq + 1, terminal, modelName, championVersion, request, strategy,
        attempt, candidateVersion, gate, why, times(terminal, now), now);
  }

  private void check(RunPhase next) {
    if (isTerminal() || !phase.canMoveTo(next)) {
      throw new IllegalStateException("run " + runId + ": " + phase + (isTerminal() ? " (terminal)" : "") + " -> "
          + next + " is not allowed");
    }
  }

  private Map<RunPhase, Long> times(RunPhase entered, long now) {
    EnumMap<RunPhase, Long> t = new EnumMap<>(RunPhase.class);
    t.putAll(phaseTimes);
    t.putIfAbsent(entered, now);
    return t;
  }
}
