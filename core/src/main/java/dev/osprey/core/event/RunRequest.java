package dev.osprey.core.event;

import java.util.Map;
import java.util.Set;

/**
 * "Start a retraining run now", as decided by the trainer's {@code TriggerPolicy}.
 *
 * <p>The id is a function of the model, the trigger and its anchor only ({@code TriggerPolicy.runId} in the trainer), never of wall-clock time or a counter held in memory, so a restarted
 * trainer that re-reads the same log derives the same id and can tell the run is already known.
 *
 * @param runId deterministic id, {@code <trigger>-<16 hex>}
 * @param trigger the trigger credited with the run
 * @param anchor the log position that made the trigger hold: a drift report id, the sample id and
 *     label time of the N-th label, the outcome that crossed the floor, or the schedule slot
 * @param reason one human line, e.g. {@code drift alarm r-17 (page-hinkley) with 1000 labels since onset}
 * @param requestedAt clock time of the decision, epoch milliseconds
 * @param held every trigger that held at that moment (the credited one included)
 * @param figures the numbers behind the decision (labels since onset, online accuracy, ...)
 */
public record RunRequest(
    String runId, TriggerKind trigger, String anchor, String reason, long requestedAt,
    Set<TriggerKind> held, Map<String, Double> figures) {

  public RunRequest {
    held = Set.copyOf(held);
    figures = Map.copyOf(figures);
  }
}
