package dev.osprey.trainer.loop;

import java.util.List;
import java.util.Map;

/**
 * Proposed event for the gate's verdict on one candidate (a candidate for {@code core/event},
 * topic {@code osprey.gate}, or part of {@link RunTransition}; key = run id). It carries the same
 * figures the candidate's manifest stores.
 *
 * @param schemaVersion event schema version
 * @param runId the run that produced the candidate
 * @param modelName registry name of the model
 * @param championVersion the serving version the candidate was compared with
 * @param candidateVersion the candidate's registry version
 * @param passed whether the gate passed
 * @param summary the decision's one line
 * @param refusals one line per failed rule
 * @param notes what was not checked and why
 * @param figures every figure, {@code gate.*}
 * @param timestamp when the gate decided, epoch milliseconds
 */
public record GateReport(
    int schemaVersion, String runId, String modelName, int championVersion, int candidateVersion, boolean passed,
    String summary, List<String> refusals, List<String> notes, Map<String, Double> figures, long timestamp) {

  public static final int SCHEMA_VERSION = 1;

  public GateReport {
    refusals = List.copyOf(refusals);
    notes = List.copyOf(notes);
    figures = Map.copyOf(figures);
  }

  public static GateReport of(String runId, String modelName, int championVersion, int candidateVersion,
      GateDecision decision, long timestamp) {
    return new GateReport(SCHEMA_VERSION, runId, modelName, championVersion, candidateVersion, decision.passed(),
        decision.summary(), decision.refusals(), decision.notes(), decision.figures(), timestamp);
  }
}
