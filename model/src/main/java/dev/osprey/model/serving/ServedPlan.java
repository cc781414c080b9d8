package dev.osprey.model.serving;

import dev.osprey.model.registry.PrecisionPlans;
import java.util.Set;

/**
 * Which precision plan of a version a loaded model runs, and why: what the loader logs once per
 * load and the serving metrics export as the {@code plan} label.
 *
 * @param requested the precision the service asked for ({@link ServingOptions#precision()})
 * @param plan the plan served: {@code fp32}, {@code int8} (the full QDQ graph), {@code int8-mixed}, ...
 * @param fileRole the manifest role of the file opened ({@code params} for the PyTorch runtime)
 * @param disabledOptimizers ONNX Runtime transformers switched off for it
 * @param reason one line: why this plan
 * @param measuredHere this host's figures when {@code auto} measured the stored plans at load (a host
 *     the version has no figures for), else null; logged, never written back (versions are immutable)
 */
public record ServedPlan(String requested, String plan, String fileRole, Set<String> disabledOptimizers, String reason,
    PrecisionPlans.HostFigures measuredHere) {
  public ServedPlan {
    if (requested == null || requested.isBlank() || plan == null || plan.isBlank()) {
      throw new IllegalArgumentException("requested precision and plan must be named, got " + requested + ", " + plan);
    }
    disabledOptimizers = Set.copyOf(disabledOptimizers == null ? Set.of() : disabledOptimizers);
    reason = reason == null ? "" : reason;
  }

  /** A plan given by name only (what a model loaded outside the {@link ModelLoader} runs). */
  public static ServedPlan named(String plan) {
    return new ServedPlan(plan, plan, null, Set.of(), plan + " requested", null);
  }
}
