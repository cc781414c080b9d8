package dev.osprey.explain.service;

import dev.osprey.explain.Method;
import dev.osprey.explain.sampling.SkipReason;
import dev.osprey.explain.sampling.Trigger;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Explain meters on a registry passed in, prefix {@code osprey.explain}. In Prometheus:
 *
 * <ul>
 *   <li>{@code osprey_explain_explanations_total{method,trigger}}: explanations written;
 *   <li>{@code osprey_explain_duration_seconds{method}}: time one method took on one sample (histogram);
 *   <li>{@code osprey_explain_completeness_residual{method}}: |sum(attributions) - (f(x) - f(x'))| of the
 *       methods with completeness (IG, SHAP);
 *   <li>{@code osprey_explain_sampled_total{reason}}: predictions (and outcomes) chosen, by trigger;
 *   <li>{@code osprey_explain_skipped_total{reason}}: not explained, by reason;
 *   <li>{@code osprey_explain_lag_seconds}: prediction timestamp to explanation written (histogram);
 *   <li>{@code osprey_explain_cpu_seconds_total}: CPU time the worker thread spent explaining (what the
 *       CPU budget is charged); {@code osprey_explain_budget_cores}: the budget (0: none);
 *   <li>{@code osprey_explain_join_samples} / {@code osprey_explain_join_waiting_outcomes}: the join's buffers.
 * </ul>
 *
 * Thread-safe.
 */
public final class ExplainMetrics {
  public static final String EXPLANATIONS = "osprey.explain.explanations";
  public static final String DURATION = "osprey.explain.duration";
  public static final String RESIDUAL = "osprey.explain.completeness.residual";
  public static final String SAMPLED = "osprey.explain.sampled";
  public static final String SKIPPED = "osprey.explain.skipped";
  public static final String LAG = "osprey.explain.lag";
  public static final String CPU = "osprey.explain.cpu";
  public static final String BUDGET = "osprey.explain.budget";
  public static final String JOIN_SAMPLES = "osprey.explain.join.samples";
  public static final String JOIN_WAITING = "osprey.explain.join.waiting";

  private final MeterRegistry registry;
  private final Map<String, Object> meters = new ConcurrentHashMap<>();
  private final Timer lag;
  private final Counter cpu;

  public ExplainMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.lag = Timer.builder(LAG)
        .description("Prediction timestamp to explanation written")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(10))
        .maximumExpectedValue(Duration.ofMinutes(10))
        .register(registry);
    this.cpu = Counter.builder(CPU).description("CPU time the explain worker spent explaining (charged to the budget)")
        .baseUnit("seconds").register(registry);
    // every reason and trigger from the start, so rate() sees the first increment
    for (Trigger t : Trigger.values()) {
      sampledCounter(t);
    }
    for (SkipReason r : SkipReason.values()) {
      skippedCounter(r);
    }
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Gauges of the join's buffers (read on scrape). */
  public void joinGauges(Supplier<Number> samples, Supplier<Number> waiting) {
    Gauge.builder(JOIN_SAMPLES, samples).description("Samples whose position (from their prediction) the join holds")
        .baseUnit("samples").register(registry);
    Gauge.builder(JOIN_WAITING, waiting).description("Chosen outcomes waiting for their prediction's sample position")
        .baseUnit("outcomes").register(registry);
  }

  public void sampled(Trigger t) {
    sampledCounter(t).increment();
  }

  public void skipped(SkipReason r) {
    skippedCounter(r).increment();
  }

  /** One explanation written: counts it, times its method, records its residual. */
  public void explained(Method method, Trigger trigger, double millis, Double residual) {
    meter("e/" + method + "/" + trigger, k -> Counter.builder(EXPLANATIONS)
        .description("Explanations written")
        .tag("method", method.wireName()).tag("trigger", trigger.wireName())
        .register(registry), Counter.class).increment();
    meter("d/" + method, k -> Timer.builder(DURATION)
        .description("Time one method took on one sample")
        .tag("method", method.wireName())
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry), Timer.class).record((long) (millis * 1e6), TimeUnit.NANOSECONDS);
    if (residual != null) {
      meter("r/" + method, k -> DistributionSummary.builder(RESIDUAL)
          .description("|sum(attributions) - (f(x) - f(x'))| of methods with completeness")
          .tag("method", method.wireName())
          .register(registry), DistributionSummary.class).record(Math.abs(residual));
    }
  }

  /** A gauge of the CPU budget, in cores (0: no budget). */
  public void budget(double cores) {
    Gauge.builder(BUDGET, () -> cores).description("CPU budget for explaining, a share of one core (0: none)")
        .baseUnit("cores").register(registry);
  }

  /** CPU nanoseconds spent explaining one sample (or serving one request). */
  public void cpu(long nanos) {
    if (nanos > 0) {
      cpu.increment(nanos / 1e9);
    }
  }

  /** Prediction timestamp to now. */
  public void lag(long predictionTimestamp, long now) {
    lag.record(Math.max(0, now - predictionTimestamp), TimeUnit.MILLISECONDS);
  }

  private Counter sampledCounter(Trigger t) {
    return meter("s/" + t, k -> Counter.builder(SAMPLED)
        .description("Predictions and outcomes chosen for explanation, by trigger")
        .tag("reason", t.wireName()).register(registry), Counter.class);
  }

  private Counter skippedCounter(SkipReason r) {
    return meter("k/" + r, k -> Counter.builder(SKIPPED)
        .description("Predictions and outcomes not explained, by reason")
        .tag("reason", r.wireName()).register(registry), Counter.class);
  }

  private <M> M meter(String key, java.util.function.Function<String, Object> create, Class<M> type) {
    return type.cast(meters.computeIfAbsent(key, create));
  }
}
