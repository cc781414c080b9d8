package dev.osprey.trainer.loop;

import dev.osprey.core.event.RunRequest;
import dev.osprey.core.event.TriggerKind;
import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.Outcome;
import java.time.InstantSource;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Decides when to retrain. Fed the trainer's input events in log order (labeled samples, drift
 * reports, outcomes) and clock ticks; each call answers the run to start now, if any.
 *
 * <p>Rules:
 * <ul>
 *   <li>Each enabled trigger ({@link TriggerConfig}) watches its condition; the moment the
 *       condition first holds is its <em>anchor</em> (the alarm's report id, the N-th label, the
 *       outcome that crossed the floor, the schedule slot). The run id is derived from the model,
 *       the trigger and the anchor only ({@link #runId}), so replaying the same log after
 *       a restart derives the same ids.
 *   <li>One run at a time: while a run is in flight (from the request until {@link #runFinished})
 *       and during the cooldown after it, conditions keep accumulating but no run is requested; the
 *       first event or tick after that requests it, still with the anchor it had.
 *   <li>A request resets every trigger: alarms are consumed (a new alarm report can trigger again),
 *       the label count restarts, the accuracy window empties (K fresh outcomes are needed), and
 *       the schedule slot counts as served.
 *   <li>Once the serving version is known ({@link #onServingVersion}), drift reports and outcomes
 *       of other versions are ignored: late outcomes of a replaced version say nothing of the new one.
 * </ul>
 *
 * <p>Not thread-safe: the trainer's single event loop owns it.
 */
public final class TriggerPolicy {
  /**
   * Key in {@link DriftReport#details()} the monitor may set to the onset's sample timestamp
   * (epoch ms); without it the onset is taken to be the report's own timestamp, which only
   * undercounts the labels since the onset (the safe side).
   */
  public static final String ONSET_TIMESTAMP_DETAIL = "onsetTimestamp";

  private final TriggerConfig config;
  private final InstantSource clock;
  private final long[] labelTimes;
  private int labelNext;
  private int labelCount;
  private final Map<String, Alarm> alarms = new LinkedHashMap<>();
  private final OutcomeWindow accuracy;
  private Integer servingVersion;
  private int labelsSinceRun;
  private String labelsAnchor;
  private String accuracyAnchor;
  private double accuracyAtAnchor;
  private long servedSlot;
  private String inFlight;
  private long cooldownUntil = Long.MIN_VALUE;

  private static final class Alarm {
    final DriftReport report;
    final long onset;
    int labelsSinceOnset;
    boolean consumed;

    Alarm(DriftReport report, long onset) {
      this.report = report;
      this.onset = onset;
    }
  }

  /** The schedule's first slot is the one after the clock's current slot. */
  public TriggerPolicy(TriggerConfig config, InstantSource clock) {
    this.config = config;
    this.clock = clock;
    this.labelTimes = new long[config.labelMemory()];
    this.accuracy = new OutcomeWindow(config.accuracyWindow());
    this.servedSlot = slot(clock.millis());
  }

  public TriggerConfig config() {
    return config;
  }

  /** The deterministic run id of a trigger anchored at {@code anchor} for {@code modelName}: {@code <trigger>-<16 hex>}. */
  public static String runId(String modelName, TriggerKind trigger, String anchor) {
    return trigger.label() + "-" + StableHash.hex(modelName + "\n" + trigger.label() + "\n" + anchor);
  }

  /** A label arrived (from {@code osprey.labeled}). */
  public Optional<RunRequest> onLabeled(LabeledSample sample) {
    labelTimes[labelNext] = sample.sampleTimestamp();
    labelNext = (labelNext + 1) % labelTimes.length;
    labelCount = Math.min(labelCount + 1, labelTimes.length);
    for (Alarm a : alarms.values()) {
      if (sample.sampleTimestamp() >= a.onset) {
        a.labelsSinceOnset++;
      }
    }
    labelsSinceRun++;
    if (config.newLabelsEnabled() && labelsSinceRun == config.newLabels()) {
      labelsAnchor = sample.sampleId() + "@" + sample.labelTimestamp();
    }
    return evaluate();
  }

  /** A drift report arrived (from {@code osprey.drift}). */
  public Optional<RunRequest> onDrift(DriftReport report) {
    if (!concerns(report.modelName(), report.modelVersion())) {
      return evaluate();
    }
    if (report.state() == DriftReport.State.CLEAR) {
      alarms.remove(report.detector());
    } else {
      Alarm current = alarms.get(report.detector());
      if (current == null || !current.report.reportId().equals(report.reportId())) {
        Double detail = report.details().get(ONSET_TIMESTAMP_DETAIL);
        Alarm a = new Alarm(report, detail != null ? detail.longValue() : report.timestamp());
        a.labelsSinceOnset = labelsSampledSince(a.onset);
        alarms.put(report.detector(), a);
      }
    }
    return evaluate();
  }

  /** A labeled outcome arrived (from {@code osprey.outcomes}). */
  public Optional<RunRequest> onOutcome(Outcome outcome) {
    if (!concerns(outcome.modelName(), outcome.modelVersion())) {
      return evaluate();
    }
    accuracy.add(outcome.correct());
    if (config.accuracyFloorEnabled() && accuracy.isFull() && accuracy.accuracy() < config.accuracyFloor()) {
      if (accuracyAnchor == null) {
        accuracyAnchor = outcome.sampleId() + "@v" + outcome.modelVersion() + "@" + outcome.timestamp();
        accuracyAtAnchor = accuracy.accuracy();
      }
    } else {
      accuracyAnchor = null;
    }
    return evaluate();
  }

  /** The clock moved (the trainer ticks it while the log is quiet); serves schedule and cooldown. */
  public Optional<RunRequest> onTick() {
    return evaluate();
  }

  /**
   * The model's serving version changed (an activation on {@code osprey.models}): reports and
   * outcomes of other versions are ignored from now on, alarms of other versions are dropped and
   * the accuracy window restarts.
   */
  public void onServingVersion(int version) {
    if (servingVersion != null && servingVersion == version) {
      return;
    }
    servingVersion = version;
    alarms.values().removeIf(a -> a.report.modelVersion() != version);
    accuracy.clear();
    accuracyAnchor = null;
  }

  /**
   * The run this policy requested ended (activated, refused, rolled back or abandoned) at
   * {@code finishedAtMillis}; the cooldown starts then.
   *
   * @throws IllegalStateException if {@code runId} is not the run in flight
   */
  public void runFinished(String runId, long finishedAtMillis) {
    if (!runId.equals(inFlight)) {
      throw new IllegalStateException("run " + runId + " is not in flight (in flight: " + inFlight + ")");
    }
    inFlight = null;
    cooldownUntil = finishedAtMillis + config.cooldown().toMillis();
  }

  /**
   * After a restart: a run recovered from the run log is still in flight, so no other run may
   * start until it finishes. Ignored if a run is already in flight under the same id.
   *
   * @throws IllegalStateException if another run is in flight
   */
  public void runResumed(String runId) {
    if (inFlight != null && !inFlight.equals(runId)) {
      throw new IllegalStateException("cannot resume " + runId + ": run " + inFlight + " is in flight");
    }
    inFlight = runId;
  }

  /** The run in flight, if any. */
  public Optional<String> runInFlight() {
    return Optional.ofNullable(inFlight);
  }

  /** Labels counted towards the N-new-labels trigger since the last request. */
  public int labelsSinceLastRun() {
    return labelsSinceRun;
  }

  private boolean concerns(String modelName, int version) {
    return config.modelName().equals(modelName) && (servingVersion == null || servingVersion == version);
  }

  private int labelsSampledSince(long onset) {
    int n = 0;
    for (int i = 0; i < labelCount; i++) {
      if (labelTimes[i] >= onset) {
        n++;
      }
    }
    return n;
  }

  private long slot(long millis) {
    return config.scheduleEnabled() ? Math.floorDiv(millis, config.schedule().toMillis()) : 0;
  }

  private Alarm readyAlarm() {
    if (!config.driftEnabled()) {
      return null;
    }
    for (Alarm a : alarms.values()) {
      if (!a.consumed && a.labelsSinceOnset >= config.driftMinLabels()) {
        return a;
      }
    }
    return null;
  }

  private Optional<RunRequest> evaluate() {
    long now = clock.millis();
    Alarm alarm = readyAlarm();
    long nowSlot = slot(now);
    EnumSet<TriggerKind> held = EnumSet.noneOf(TriggerKind.class);
    if (alarm != null) {
      held.add(TriggerKind.DRIFT);
    }
    if (accuracyAnchor != null) {
      held.add(TriggerKind.ACCURACY_FLOOR);
    }
    if (labelsAnchor != null) {
      held.add(TriggerKind.NEW_LABELS);
    }
    if (config.scheduleEnabled() && nowSlot > servedSlot) {
      held.add(TriggerKind.SCHEDULE);
    }
    if (held.isEmpty() || inFlight != null || now < cooldownUntil) {
      return Optional.empty();
    }
    TriggerKind trigger = held.iterator().next();
    Map<String, Double> figures = new LinkedHashMap<>();
    figures.put("labelsSinceLastRun", (double) labelsSinceRun);
    String anchor;
    String reason;
    switch (trigger) {
      case DRIFT -> {
        DriftReport r = alarm.report;
        anchor = r.reportId();
        reason = "drift alarm " + r.reportId() + " (" + r.detector() + ", v" + r.modelVersion() + ") with "
            + alarm.labelsSinceOnset + " labels since its onset";
        figures.put("labelsSinceOnset", (double) alarm.labelsSinceOnset);
        figures.put("driftStatistic", r.statistic());
        figures.put("driftThreshold", r.threshold());
      }
      case ACCURACY_FLOOR -> {
        anchor = accuracyAnchor;
        reason = String.format("online accuracy %.4f over the last %d outcomes is below the floor %.4f",
            accuracyAtAnchor, config.accuracyWindow(), config.accuracyFloor());
        figures.put("onlineAccuracy", accuracyAtAnchor);
      }
      case NEW_LABELS -> {
        anchor = labelsAnchor;
        reason = labelsSinceRun + " new labels since the last run (threshold " + config.newLabels() + ")";
      }
      default -> {
        anchor = "slot-" + nowSlot;
        reason = "scheduled run for slot " + nowSlot + " (every " + config.schedule() + ")";
        figures.put("scheduleSlot", (double) nowSlot);
      }
    }
    RunRequest request = new RunRequest(
        TriggerPolicy.runId(config.modelName(), trigger, anchor), trigger, anchor, reason, now, held, figures);
    alarms.values().forEach(a -> a.consumed = true);
    labelsSinceRun = 0;
    labelsAnchor = null;
    accuracy.clear();
    accuracyAnchor = null;
    servedSlot = nowSlot;
    inFlight = request.runId();
    return Optional.of(request);
  }
}
