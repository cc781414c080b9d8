package dev.osprey.explain.sampling;

import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which predictions the explain service explains. Pure: no Kafka, no model, no clock. Not
 * thread-safe (one consumer thread drives it).
 *
 * <p>The rate is per second of <em>prediction time</em> (each prediction's timestamp), not of
 * processing time: a backlog, a restart or a fast replay is sampled exactly like the same traffic
 * live, and how fast this machine explains does not change which predictions are chosen (a slow
 * explainer falls behind, visible as lag, instead of explaining everything it reads late).
 *
 * <p>Rules, in order, for a prediction of the explained model:
 *
 * <ol>
 *   <li>a drift detector is in alarm for the model ({@link DriftReport} state ALARM, until the same
 *       detector reports CLEAR) -> {@link Trigger#DRIFT};
 *   <li>its confidence is below {@link Config#lowConfidenceBelow()} -> {@link Trigger#LOW_CONFIDENCE};
 *   <li>the token bucket ({@link Config#ratePerSecond()}, burst {@link Config#burst()}) has a token
 *       -> {@link Trigger#SAMPLED}; otherwise skipped, {@link SkipReason#RATE_LIMITED}.
 * </ol>
 *
 * The always-explain rules take no token, so the sampled rate stays a uniform sample of the
 * traffic whatever the rules add. An {@link Outcome} saying the prediction was wrong is explained
 * ({@link Trigger#WRONG}) unless that sample was explained in the last {@link Config#rememberExplained()}
 * decisions. Every decision is counted by trigger or skip reason.
 */
public final class SamplingPolicy {

  /**
   * @param ratePerSecond uniform sample of the traffic, explanations per second, >= 0 (0: none)
   * @param burst tokens the bucket holds, >= 1 (explanations allowed back to back after a quiet spell)
   * @param lowConfidenceBelow explain every prediction with a confidence below this, in [0, 1] (0: off)
   * @param explainWrong explain a prediction once its outcome says it was wrong
   * @param explainDuringDrift explain every prediction while a drift detector is in alarm
   * @param rememberExplained how many explained sample ids are remembered to avoid explaining one twice, >= 0
   */
  public record Config(double ratePerSecond, int burst, double lowConfidenceBelow, boolean explainWrong,
      boolean explainDuringDrift, int rememberExplained) {
    /** @throws IllegalArgumentException naming the field and value */
    public Config {
      if (!(ratePerSecond >= 0) || Double.isInfinite(ratePerSecond)) {
        throw new IllegalArgumentException("ratePerSecond must be a finite number >= 0, got " + ratePerSecond);
      }
      if (burst < 1) {
        throw new IllegalArgumentException("burst must be >= 1, got " + burst);
      }
      if (!(lowConfidenceBelow >= 0 && lowConfidenceBelow <= 1)) {
        throw new IllegalArgumentException("lowConfidenceBelow must be in [0, 1], got " + lowConfidenceBelow);
      }
      if (rememberExplained < 0) {
        throw new IllegalArgumentException("rememberExplained must be >= 0, got " + rememberExplained);
      }
    }

    /** 2 per second (burst 2), below 0.5 confidence, wrong predictions and drift alarms on, 10,000 ids remembered. */
    public static Config defaults() {
      return new Config(2, 2, 0.5, true, true, 10_000);
    }
  }

  /** Explain (with a trigger) or skip (with a reason). */
  public record Decision(Trigger trigger, SkipReason skipReason) {
    public static Decision explain(Trigger t) {
      return new Decision(t, null);
    }

    public static Decision skip(SkipReason r) {
      return new Decision(null, r);
    }

    public boolean explain() {
      return trigger != null;
    }
  }

  private final Config config;
  private final String modelName;
  private final TokenBucket bucket;
  private final Set<String> alarms = new HashSet<>();
  private final Map<String, Boolean> explained;
  private final Map<Trigger, Long> sampled = new EnumMap<>(Trigger.class);
  private final Map<SkipReason, Long> skipped = new EnumMap<>(SkipReason.class);

  /**
   * @param modelName the model explained; predictions, outcomes and drift reports of others are skipped
   */
  public SamplingPolicy(Config config, String modelName) {
    this.config = config;
    this.modelName = modelName;
    this.bucket = new TokenBucket(config.ratePerSecond(), config.ratePerSecond() > 0 ? config.burst() : 0);
    int remember = config.rememberExplained();
    this.explained = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > remember;
      }
    };
  }

  public Config config() {
    return config;
  }

  /** Decides for one prediction. */
  public Decision onPrediction(Prediction p) {
    if (!modelName.equals(p.modelName())) {
      return count(Decision.skip(SkipReason.OTHER_MODEL));
    }
    Decision d;
    if (config.explainDuringDrift() && driftAlarm()) {
      d = Decision.explain(Trigger.DRIFT);
    } else if (p.confidence() < config.lowConfidenceBelow()) {
      d = Decision.explain(Trigger.LOW_CONFIDENCE);
    } else if (bucket.tryTake(p.timestamp() * 1_000_000L)) {
      d = Decision.explain(Trigger.SAMPLED);
    } else {
      d = Decision.skip(SkipReason.RATE_LIMITED);
    }
    if (d.explain()) {
      explained.put(p.sampleId(), Boolean.TRUE);
    }
    return count(d);
  }

  /** Decides for one outcome: a wrong prediction not explained yet is explained. */
  public Decision onOutcome(Outcome o) {
    Decision d;
    if (!modelName.equals(o.modelName())) {
      d = Decision.skip(SkipReason.OTHER_MODEL);
    } else if (o.correct()) {
      d = Decision.skip(SkipReason.CORRECT);
    } else if (!config.explainWrong()) {
      d = Decision.skip(SkipReason.RULE_OFF);
    } else if (explained.containsKey(o.sampleId())) {
      d = Decision.skip(SkipReason.ALREADY_EXPLAINED);
    } else {
      explained.put(o.sampleId(), Boolean.TRUE);
      d = Decision.explain(Trigger.WRONG);
    }
    return count(d);
  }

  /**
   * Forgets that a chosen sample was explained because it was not after all (the CPU budget skipped
   * it): a wrong outcome of it is then still explained, not skipped as already explained.
   */
  public void notExplained(String sampleId) {
    explained.remove(sampleId);
  }

  /** Tracks the alarm state of each detector of the explained model. */
  public void onDrift(DriftReport r) {
    if (!modelName.equals(r.modelName())) {
      return;
    }
    if (r.state() == DriftReport.State.ALARM) {
      alarms.add(r.detector());
    } else {
      alarms.remove(r.detector());
    }
  }

  /** Whether a detector of the explained model is in alarm. */
  public boolean driftAlarm() {
    return !alarms.isEmpty();
  }

  /** Explain decisions so far, by trigger. */
  public Map<Trigger, Long> sampledCounts() {
    return Map.copyOf(sampled);
  }

  /** Skip decisions so far, by reason. */
  public Map<SkipReason, Long> skippedCounts() {
    return Map.copyOf(skipped);
  }

  private Decision count(Decision d) {
    if (d.explain()) {
      sampled.merge(d.trigger(), 1L, Long::sum);
    } else {
      skipped.merge(d.skipReason(), 1L, Long::sum);
    }
    return d;
  }
}
