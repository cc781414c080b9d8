package dev.osprey.model.serving;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Meters of model serving under the serving service's own prefix (e.g. {@code osprey.inference}).
 * In Prometheus:
 *
 * <ul>
 *   <li>{@code <prefix>_model_info{model_name,model_version,runtime,requested_runtime,plan,requested_precision,fallback}}
 *       = 1: {@code plan} is the precision plan served ({@code fp32}, {@code int8}, {@code int8-mixed},
 *       {@code int8-matmul}), {@code requested_precision} what the service asked for ({@code auto}, ...);
 *   <li>{@code <prefix>_model_swaps_total{outcome}}.
 * </ul>
 *
 * Thread-safe.
 */
public final class ServingMetrics {
  private final MeterRegistry registry;
  private final String modelInfoName;
  private final String swapsName;
  private final Map<SwapOutcome, Counter> swaps = new ConcurrentHashMap<>();
  private Gauge modelInfo;

  /** @param prefix the service's meter name prefix, e.g. {@code osprey.inference} */
  public ServingMetrics(MeterRegistry registry, String prefix) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.modelInfoName = prefix + ".model.info";
    this.swapsName = prefix + ".model.swaps";
    // every outcome exists from the start at 0: "no refused activation" is a flat line, not an absent series
    for (SwapOutcome o : SwapOutcome.values()) {
      counter(o);
    }
  }

  /** Counts one handled activation. */
  public void swap(SwapOutcome outcome) {
    counter(outcome).increment();
  }

  private Counter counter(SwapOutcome outcome) {
    return swaps.computeIfAbsent(outcome, o -> Counter.builder(swapsName)
        .description("Model activations handled, by outcome")
        .tag("outcome", o.code())
        .register(registry));
  }

  /** Replaces the model info gauge with one describing {@code model} (none when null). */
  public synchronized void serving(LoadedModel model) {
    if (modelInfo != null) {
      registry.remove(modelInfo);
    }
    modelInfo = model == null ? null : Gauge.builder(modelInfoName, () -> 1)
        .description("The model being served (value 1); its labels say which")
        .tag("model_name", model.ref().name())
        .tag("model_version", Integer.toString(model.ref().version()))
        .tag("runtime", model.runtime().configName())
        .tag("requested_runtime", model.requestedRuntime().configName())
        .tag("plan", model.plan().plan())
        .tag("requested_precision", model.plan().requested())
        .tag("fallback", Boolean.toString(model.fellBack()))
        .register(registry);
  }
}
