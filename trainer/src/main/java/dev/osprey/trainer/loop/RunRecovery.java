package dev.osprey.trainer.loop;

import dev.osprey.core.event.RunTransition;
import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.Strategy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a restarted trainer does about the runs it finds in the run log. Pure: fed the log's
 * records (in any order, possibly with duplicates or with earlier records compacted away), the
 * model's serving version now (the latest record on {@code osprey.models}), and the attempt
 * limit, it returns one action per unfinished run.
 *
 * <p>Protocol the service follows, which makes these actions safe:
 * <ol>
 *   <li>Each step's record is written before the step's effect is relied on; training and
 *       publishing are idempotent per run id (same data plan, same seed; the registry publishes
 *       atomically, so a crash leaves no partial version).
 *   <li>An activation on {@code osprey.models} and the run's ACTIVATED record are written in one
 *       Kafka transaction, as are a rollback activation and ROLLED_BACK. Without transactions, the
 *       serving version tells which side of the activation a crash fell on (see below).
 * </ol>
 *
 * <p>Actions by the latest phase found:
 * <ul>
 *   <li>TRIGGERED: {@link Action#START_TRAINING};
 *   <li>TRAINING: {@link Action#RECORD_PUBLISHED} if the registry already holds the run's version
 *       (the crash fell between the atomic publish and its record: write PUBLISHED, then gate; no
 *       second version), else {@link Action#RESTART_TRAINING} (attempt + 1), or
 *       {@link Action#ABANDON} once {@code maxAttempts} attempts have started (a run that kills the
 *       trainer must not loop);
 *   <li>PUBLISHED: {@link Action#GATE_AGAIN} on the published version (the gate is a pure function);
 *   <li>GATED and passed: {@link Action#ACTIVATE}, unless the candidate already serves
 *       ({@link Action#RECORD_ACTIVATION}: write ACTIVATED, do not activate again) or the serving
 *       version is neither the champion nor the candidate ({@link Action#ABANDON}: someone else
 *       changed it, and the gate's comparison no longer holds);
 *   <li>ACTIVATED: {@link Action#RESUME_WATCH}, never a second activation; if the serving version is
 *       already the champion again, {@link Action#RECORD_ROLLBACK}; if it is a third version,
 *       {@link Action#ABANDON};
 *   <li>terminal phases: nothing.
 * </ul>
 * One run at a time: if several runs are unfinished, all but the latest triggered are abandoned
 * as superseded.
 */
public final class RunRecovery {

  /** What to do about one unfinished run. */
  public enum Action {
    START_TRAINING, RESTART_TRAINING, RECORD_PUBLISHED, GATE_AGAIN, ACTIVATE, RECORD_ACTIVATION, RESUME_WATCH,
    RECORD_ROLLBACK, ABANDON
  }

  /**
   * @param action what to do
   * @param run the run's latest state
   * @param reason one line, for the log and for an ABANDONED record
   */
  public record Step(Action action, RunTransition run, String reason) {}

  /**
   * The recovered log.
   *
   * @param runs every run's latest state, by run id, in order of first trigger
   * @param steps one step per unfinished run: the latest triggered first, then the superseded ones
   */
  public record Plan(Map<String, RunTransition> runs, List<Step> steps) {
    public Plan {
      runs = Collections.unmodifiableMap(new LinkedHashMap<>(runs));
      steps = List.copyOf(steps);
    }

    /** Ids of every run in the log: a trigger replay that derives one of them has found a known run. */
    public Set<String> knownRunIds() {
      return runs.keySet();
    }

    /** The run to carry on, if any: the latest unfinished one that is not abandoned. */
    public Optional<Step> resume() {
      return steps.stream().filter(s -> s.action() != Action.ABANDON).findFirst();
    }

    /** Strategies of the promoted runs that were not rolled back, in order of activation (for {@link StrategyChooser}). */
    public List<Strategy> promotedStrategies() {
      return runs.values().stream()
          .filter(r -> r.phaseTimes().containsKey(RunPhase.ACTIVATED) && r.phase() != RunPhase.ROLLED_BACK)
          .sorted(Comparator.comparing(r -> r.phaseTimes().get(RunPhase.ACTIVATED)))
          .map(r -> r.strategy().strategy())
          .toList();
    }

    /** When the last finished run ended (for the trigger policy's cooldown), if any. */
    public Optional<Long> lastFinishedAt() {
      return runs.values().stream().filter(RunTransition::isTerminal).map(RunTransition::timestamp)
          .max(Comparator.naturalOrder());
    }
  }

  private RunRecovery() {}

  /**
   * @param log the run log's records, for all models or one
   * @param modelName the model this trainer serves; other models' runs are left alone
   * @param servingVersion the model's serving version now
   * @param maxAttempts training attempts after which a run still in TRAINING is abandoned
   */
  public static Plan recover(List<RunTransition> log, String modelName, int servingVersion, int maxAttempts) {
    return recover(log, modelName, servingVersion, maxAttempts, Map.of());
  }

  /**
   * As {@link #recover(List, String, int, int)}, knowing which versions the registry holds for
   * which run (from the manifests' lineage, once it records the run id).
   *
   * @param publishedByRunId registry version per run id, for the runs that published one
   */
  public static Plan recover(List<RunTransition> log, String modelName, int servingVersion, int maxAttempts,
      Map<String, Integer> publishedByRunId) {
    Map<String, RunTransition> latest = new LinkedHashMap<>();
    for (RunTransition t : log) {
      if (t.modelName().equals(modelName)) {
        latest.merge(t.runId(), t, (a, b) -> b.seq() > a.seq() ? b : a);
      }
    }
    List<RunTransition> open = latest.values().stream()
        .filter(r -> !r.isTerminal())
        .sorted(Comparator.comparing((RunTransition r) -> r.phaseTimes().get(RunPhase.TRIGGERED))
            .thenComparing(RunTransition::runId).reversed())
        .toList();
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < open.size(); i++) {
      RunTransition r = open.get(i);
      steps.add(i == 0
          ? step(r, servingVersion, maxAttempts, publishedByRunId.get(r.runId()))
          : new Step(Action.ABANDON, r, "superseded by run " + open.get(0).runId() + " (one run at a time)"));
    }
    List<RunTransition> ordered = latest.values().stream()
        .sorted(Comparator.comparing(r -> r.phaseTimes().get(RunPhase.TRIGGERED)))
        .toList();
    Map<String, RunTransition> runs = new LinkedHashMap<>();
    ordered.forEach(r -> runs.put(r.runId(), r));
    return new Plan(runs, steps);
  }

  private static Step step(RunTransition r, int serving, int maxAttempts, Integer published) {
    return switch (r.phase()) {
      case TRIGGERED -> new Step(Action.START_TRAINING, r, "triggered, not yet training");
      case TRAINING -> published != null
          ? new Step(Action.RECORD_PUBLISHED, r, "v" + published + " was published before the crash; recording it")
          : r.attempt() >= maxAttempts
          ? new Step(Action.ABANDON, r, "training did not complete in " + r.attempt() + " attempts")
          : new Step(Action.RESTART_TRAINING, r, "training attempt " + r.attempt() + " did not complete; starting attempt "
              + (r.attempt() + 1));
      case PUBLISHED -> new Step(Action.GATE_AGAIN, r, "v" + r.candidateVersion() + " published but not gated");
      case GATED -> serving == r.candidateVersion()
          ? new Step(Action.RECORD_ACTIVATION, r, "v" + serving + " already serves; recording the activation")
          : serving == r.championVersion()
              ? new Step(Action.ACTIVATE, r, "gate passed, v" + r.candidateVersion() + " not yet activated")
              : new Step(Action.ABANDON, r, "the serving version changed to v" + serving + " since the gate compared v"
                  + r.candidateVersion() + " with v" + r.championVersion());
      case ACTIVATED -> serving == r.candidateVersion()
          ? new Step(Action.RESUME_WATCH, r, "v" + serving + " activated; resuming the rollback watch")
          : serving == r.championVersion()
              ? new Step(Action.RECORD_ROLLBACK, r, "v" + serving + " serves again; recording the rollback")
              : new Step(Action.ABANDON, r, "the serving version changed to v" + serving + " while v"
                  + r.candidateVersion() + " was watched");
      default -> throw new IllegalStateException("run " + r.runId() + " in " + r.phase() + " is not unfinished");
    };
  }
}
