package dev.osprey.trainer.service;

import dev.osprey.core.event.GateDecision;
import dev.osprey.trainer.loop.TrainingRunReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The trainer's meters, all {@code osprey_trainer_*}: runs by trigger and outcome, time per phase,
 * the last gate's figures, the serving version, rollbacks and refusals by rule. Tags are
 * low-cardinality (fixed sets of triggers, outcomes, phases, rules).
 */
final class TrainerMetrics {
  static final String PREFIX = "osprey.trainer";

  /** Gate figures exported as gauges: metric suffix -> figure key in {@link GateDecision#figures()}. */
  private static final Map<String, String> GATE_GAUGES = Map.of(
      "gate.held.out.champion.accuracy", "gate.heldOut.championAccuracy",
      "gate.held.out.candidate.accuracy", "gate.heldOut.candidateAccuracy",
      "gate.reference.champion.accuracy", "gate.reference.championAccuracy",
      "gate.reference.candidate.accuracy", "gate.reference.candidateAccuracy",
      "gate.int8.agreement", "gate.int8.agreement",
      "gate.mcnemar.p.better", "gate.mcnemar.pBetter",
      "gate.labels.contradiction", "gate.labels.contradictUnanimous",
      "gate.labels.allowance", "gate.labels.allowance",
      "gate.passed", "gate.passed",
      "gate.held.out.count", "gate.heldOut.count");

  private final MeterRegistry meters;
  private final Map<String, AtomicLong> gate = new ConcurrentHashMap<>();
  private final AtomicLong servingVersion = new AtomicLong(-1);
  private final AtomicLong running = new AtomicLong();
  private final AtomicLong windowSize = new AtomicLong();
  private final AtomicLong lastRunEnd = new AtomicLong();
  private final Counter rollbacks;
  private final Counter skipped;

  TrainerMetrics(MeterRegistry meters) {
    this.meters = meters;
    GATE_GAUGES.forEach((name, key) -> {
      AtomicLong bits = new AtomicLong(Double.doubleToLongBits(Double.NaN));
      gate.put(key, bits);
      Gauge.builder(PREFIX + "." + name, bits, b -> Double.longBitsToDouble(b.get()))
          .description("the last promotion gate's " + key).register(meters);
    });
    Gauge.builder(PREFIX + ".serving.version", servingVersion, AtomicLong::get)
        .description("the model version serving now (-1 before the first activation)").register(meters);
    Gauge.builder(PREFIX + ".run.active", running, AtomicLong::get)
        .description("1 while a run trains, publishes or is gated").register(meters);
    Gauge.builder(PREFIX + ".window.labels", windowSize, AtomicLong::get)
        .description("labeled samples in the recent window").register(meters);
    Gauge.builder(PREFIX + ".last.run.end.seconds", lastRunEnd, v -> v.get() / 1000.0)
        .description("when the last run ended, epoch seconds").register(meters);
    rollbacks = Counter.builder(PREFIX + ".rollbacks").description("promotions rolled back by the watch").register(meters);
    skipped = Counter.builder(PREFIX + ".skipped.records").description("input records that could not be decoded")
        .register(meters);
  }

  void phase(String phase, Duration d) {
    Timer.builder(PREFIX + ".phase").tag("phase", phase).description("time spent in each phase of a run")
        .register(meters).record(d);
  }

  void gate(GateDecision d) {
    gate.forEach((key, bits) -> bits.set(Double.doubleToLongBits(d.figures().getOrDefault(key, Double.NaN))));
    for (String refusal : d.refusals()) {
      Counter.builder(PREFIX + ".gate.refusals").tag("rule", rule(refusal))
          .description("gate rules that refused a candidate").register(meters).increment();
    }
  }

  void finished(TrainingRunReport r) {
    Counter.builder(PREFIX + ".runs").tag("trigger", r.trigger()).tag("outcome", r.outcome())
        .description("finished retraining runs by trigger and outcome").register(meters).increment();
    lastRunEnd.set(r.timestamp());
    if ("rolled_back".equals(r.outcome())) {
      rollbacks.increment();
    }
  }

  void running(boolean active) {
    running.set(active ? 1 : 0);
  }

  void servingVersion(int version) {
    servingVersion.set(version);
  }

  void windowSize(int n) {
    windowSize.set(n);
  }

  void skippedRecord() {
    skipped.increment();
  }

  /** The gate rule a refusal line names (the gate's lines start with it). */
  static String rule(String refusal) {
    String r = refusal.toLowerCase(Locale.ROOT);
    if (r.startsWith("too little evidence")) {
      return "evidence";
    } else if (r.startsWith("held-out")) {
      return "held_out";
    } else if (r.startsWith("mcnemar")) {
      return "mcnemar";
    } else if (r.startsWith("forgetting")) {
      return "forgetting";
    } else if (r.startsWith("quantization")) {
      return "int8";
    } else if (r.startsWith("label quality")) {
      return "labels";
    }
    return "other";
  }
}
