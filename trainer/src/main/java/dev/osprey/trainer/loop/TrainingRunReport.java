package dev.osprey.trainer.loop;

import dev.osprey.core.event.RunTransition;
import dev.osprey.core.event.TriggerKind;
import dev.osprey.core.event.Strategy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Proposed event summarising one finished run (a candidate for {@code core/event}; key = run id):
 * what the dashboard counts (runs by trigger and outcome, duration by phase) and what the timeline
 * marks. Built from the run's last {@link RunTransition}.
 *
 * @param schemaVersion event schema version
 * @param runId the run
 * @param modelName registry name of the model
 * @param trigger what started it ({@link TriggerKind#label()})
 * @param triggerReason the trigger's line
 * @param strategy {@link Strategy#label()}, or null if it never trained
 * @param outcome {@code kept}, {@code rolled_back}, {@code refused} or {@code abandoned}
 * @param championVersion the version serving when the run started
 * @param candidateVersion the candidate's version, or null if none was published
 * @param summary the gate's line, or the abandon/rollback/keep reason when that came last
 * @param refusals the gate's refusals (empty unless refused)
 * @param figures trigger, strategy and gate figures together
 * @param phaseMillis milliseconds spent in each phase, by phase name
 * @param timestamp when the run ended, epoch milliseconds
 */
public record TrainingRunReport(
    int schemaVersion, String runId, String modelName, String trigger, String triggerReason, String strategy,
    String outcome, int championVersion, Integer candidateVersion, String summary, List<String> refusals,
    Map<String, Double> figures, Map<String, Long> phaseMillis, long timestamp) {

  public static final int SCHEMA_VERSION = 1;

  public TrainingRunReport {
    refusals = List.copyOf(refusals);
    figures = Map.copyOf(figures);
    phaseMillis = Map.copyOf(phaseMillis);
  }

  /** @throws IllegalArgumentException if the run is not finished */
  public static TrainingRunReport of(RunTransition last) {
    if (!last.isTerminal()) {
      throw new IllegalArgumentException("run " + last.runId() + " is not finished (" + last.phase() + ")");
    }
    String outcome = switch (last.phase()) {
      case KEPT -> "kept";
      case ROLLED_BACK -> "rolled_back";
      case GATED -> "refused";
      default -> "abandoned";
    };
    Map<String, Double> figures = new LinkedHashMap<>();
    last.request().figures().forEach((k, v) -> figures.put("trigger." + k, v));
    if (last.strategy() != null) {
      figures.putAll(last.strategy().figures());
    }
    if (last.gate() != null) {
      figures.putAll(last.gate().figures());
    }
    Map<String, Long> phases = new LinkedHashMap<>();
    last.phaseDurations().forEach((phase, ms) -> phases.put(phase.name().toLowerCase(Locale.ROOT), ms));
    return new TrainingRunReport(SCHEMA_VERSION, last.runId(), last.modelName(), last.request().trigger().label(),
        last.request().reason(), last.strategy() == null ? null : last.strategy().strategy().label(), outcome,
        last.championVersion(), last.candidateVersion(), last.reason(),
        last.gate() == null ? List.of() : last.gate().refusals(), figures, phases, last.timestamp());
  }
}
