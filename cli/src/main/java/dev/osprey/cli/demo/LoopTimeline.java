package dev.osprey.cli.demo;

import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.RunTransition;
import dev.osprey.core.topic.Topics;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Prints the loop scenario's timeline: the replay, the drift's onset, the monitor's alarm, each
 * run's phases on the run log, then the online accuracy before the drift, during it and after the
 * swap. Times are seconds since the replay began; a run's sample numbers (marked ~) are where the
 * replay was at that time.
 */
final class LoopTimeline {
  private final PrintStream out;
  private final Topics topics;
  private final String model;
  private final long replayStartMillis;
  private final double rate;

  /** @param rate the replay's samples per second */
  LoopTimeline(PrintStream out, Topics topics, String model, long replayStartMillis, double rate) {
    this.out = out;
    this.topics = topics;
    this.model = model;
    this.replayStartMillis = replayStartMillis;
    this.rate = rate;
  }

  void print(LoopSummary loop, DriftSummary drift, String driftSpec, int samples, long replayMillis) {
    out.println("  the retraining loop (" + topics.runs().name() + ", read_committed; sample numbers marked ~ are the replay's "
        + "position at that time):");
    out.printf(Locale.ROOT, "  %8s %8s  %s%n", "time", "sample", "event");
    line(replayStartMillis, "0", "replay begins: clean digits, " + model + ":" + loop.servedBefore() + " serving");
    line(replayStartMillis + (long) (drift.onsetIndex() * 1000 / rate), Integer.toString(drift.onsetIndex()),
        "drift " + driftSpec + " begins");
    drift.firstAlarmAfterOnset().ifPresent(a -> line(a.timestamp(), Long.toString(a.samplesSeen()), String.format(
        Locale.ROOT, "the monitor flags it: %s on %s:%d, statistic %.3f > %.3f", a.detector(), a.modelName(),
        a.modelVersion(), a.statistic(), a.threshold())));
    for (RunTransition r : loop.runs()) {
      for (Map.Entry<RunPhase, Long> e : r.phaseTimes().entrySet()) {
        long t = e.getValue();
        line(t, "~" + sampleAt(t, samples), about(r, e.getKey(), loop));
      }
    }
    line(replayStartMillis + replayMillis, Integer.toString(samples), "replay ends");
    out.println("  online accuracy (labelled samples, checked against their labels):");
    out.println("    before the drift         " + model + ":" + loop.servedBefore() + "  " + loop.clean());
    out.println("    during the drift         " + model + ":" + loop.servedBefore() + "  " + loop.duringDrift());
    out.println("    after the swap (drifted) " + model + ":" + loop.servedAfter() + "  " + loop.afterSwap());
    if (loop.runs().isEmpty()) {
      out.println("  the trainer started no run: no drift alarm, or too few labels since it");
    }
  }

  private String about(RunTransition r, RunPhase phase, LoopSummary loop) {
    return switch (phase) {
      case TRIGGERED -> "run " + r.runId() + " triggered: " + r.request().reason() + " ("
          + count(r.request().figures().getOrDefault("labelsSinceLastRun", Double.NaN)) + " labels since the start)";
      case TRAINING -> "training, attempt " + r.attempt() + ": " + (r.strategy() == null ? "" : r.strategy().reason());
      case PUBLISHED -> "published " + model + ":" + r.candidateVersion() + " (exported, int8-quantized, measured)";
      case GATED -> r.gate() == null ? "gated" : r.gate().summary();
      case ACTIVATED -> "activated " + model + ":" + r.candidateVersion() + " on " + topics.models().name()
          + firstPrediction(loop, r.candidateVersion());
      case KEPT, ROLLED_BACK, ABANDONED -> phase.name().toLowerCase(Locale.ROOT).replace('_', ' ') + ": " + r.reason();
    };
  }

  private static String firstPrediction(LoopSummary loop, Integer version) {
    Integer first = version == null ? null : loop.firstIndexByVersion().get(version);
    return first == null ? "" : "; its first prediction: sample " + first;
  }

  private long sampleAt(long millis, int max) {
    return Math.max(0, Math.min(max, Math.round((millis - replayStartMillis) * rate / 1000)));
  }

  private void line(long millis, String sample, String what) {
    out.printf(Locale.ROOT, "  %7.1fs %8s  %s%n", (millis - replayStartMillis) / 1000.0, sample, what);
  }

  private static String count(double v) {
    return Double.isNaN(v) ? "?" : Long.toString(Math.round(v));
  }
}
