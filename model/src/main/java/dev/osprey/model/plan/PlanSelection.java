package dev.osprey.model.plan;

import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.PrecisionPlans;
import dev.osprey.model.runtime.OrtConfig;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which of a version's precision plans to open: the answer of {@link #select}, a pure function of
 * the manifest, this host and the requested precision, which the model loader calls before it
 * opens a session.
 */
public sealed interface PlanSelection {
  /** The requested precision that picks by measurement. */
  String AUTO = "auto";

  /**
   * Open this plan.
   *
   * @param plan the plan's name ({@code fp32}, {@code int8}, {@code int8-mixed}, ...)
   * @param fileRole the role of its ONNX file in the manifest's {@code files}
   * @param disabledOptimizers ONNX Runtime transformers to switch off for it
   * @param reason one line for the log and the served-plan label: what was asked and why this plan
   */
  record Open(String plan, String fileRole, Set<String> disabledOptimizers, String reason) implements PlanSelection {
    public Open {
      disabledOptimizers = Set.copyOf(disabledOptimizers);
    }

    /** {@code base} with this plan's session options. */
    public OrtConfig apply(OrtConfig base) {
      return base.withDisabledOptimizers(disabledOptimizers);
    }
  }

  /**
   * {@code auto} on a host the version has no figures for: measure the stored plans here first
   * ({@link PlanMeasurement}), then {@link #choose} with the figures.
   *
   * @param candidates the plans to measure
   * @param reason one line for the log
   */
  record Measure(List<String> candidates, String reason) implements PlanSelection {
    public Measure {
      candidates = List.copyOf(candidates);
    }
  }

  /**
   * The plan to open for {@code precision} on {@code host}.
   *
   * <ul>
   *   <li>{@code fp32}: the fp32 graph; {@code int8}: the full QDQ graph (the TensorRT form — what a
   *       GPU host gets), with the plan's session options when the version records them;
   *   <li>a plan name ({@code int8-mixed}, {@code int8-matmul}, ...): that plan;
   *   <li>{@code auto}: the plan chosen for this host's key; for a host the version has no figures
   *       for, {@link Measure} (unless only one plan is stored). A version without a plans section
   *       serves {@code int8.onnx} when it has one, else {@code fp32.onnx}, as before plans existed.
   * </ul>
   *
   * @throws IllegalArgumentException if the precision names a plan or file this version does not store
   */
  static PlanSelection select(ModelManifest manifest, HostProfile host, String precision) {
    String p = normalize(precision);
    PrecisionPlans plans = manifest.plans();
    if (plans == null || !p.equals(AUTO)) {
      return explicitOrLegacy(manifest, p);
    }
    PrecisionPlans.HostFigures figures = plans.hosts().get(host.key());
    if (figures != null) {
      return open(plans, figures.chosen(), "precision=auto on " + host.key() + ": " + figures.reason());
    }
    if (plans.candidates().size() == 1) {
      return open(plans, PrecisionPlans.FP32, "precision=auto: fp32 is the only plan stored");
    }
    return new Measure(List.copyOf(plans.candidates().keySet()), "precision=auto: " + manifest.ref() + " has no figures for host "
        + host.key() + " (measured on " + plans.hosts().keySet() + "); measure its plans here");
  }

  /**
   * The plan the TensorRT execution provider gets. For {@code auto}: the full QDQ int8 graph (the
   * TensorRT form: TensorRT times its kernels per layer itself from the explicit Q/DQ scales, and the
   * CPU figures in the plans section say nothing about a GPU), the fp32 graph when the version stores
   * no int8 plan. An explicit precision opens that plan, as {@link #select} does.
   *
   * @throws IllegalArgumentException if the precision names a plan or file this version does not store
   */
  static Open forTensorRt(ModelManifest manifest, String precision) {
    String p = normalize(precision);
    PrecisionPlans plans = manifest.plans();
    if (plans == null || !p.equals(AUTO)) {
      return explicitOrLegacy(manifest, p);
    }
    return plans.candidates().containsKey(PrecisionPlan.INT8)
        ? open(plans, PrecisionPlan.INT8, "precision=auto on TensorRT: the full QDQ int8 graph (TensorRT picks its kernels per layer)")
        : open(plans, PrecisionPlans.FP32, "precision=auto on TensorRT: " + manifest.ref() + " stores no int8 plan");
  }

  /**
   * {@code auto} after measuring on a new host: the fastest plan within the accuracy bound, by the
   * measured rates and the accuracy and agreement the manifest records.
   *
   * @throws IllegalArgumentException if the version has no plans or the figures name plans it does not store
   */
  static Open choose(ModelManifest manifest, PrecisionPlans.HostFigures figures) {
    if (manifest.plans() == null) {
      throw new IllegalArgumentException(manifest.ref() + " stores no precision plans");
    }
    return open(manifest.plans(), figures.chosen(), "precision=auto, measured here: " + figures.reason());
  }

  private static String normalize(String precision) {
    return precision == null ? AUTO : precision.strip().toLowerCase(Locale.ROOT);
  }

  /** An explicit precision on a version with plans, or any precision on a version without. */
  private static Open explicitOrLegacy(ModelManifest manifest, String precision) {
    return manifest.plans() == null ? legacy(manifest, precision)
        : open(manifest.plans(), precision, "precision=" + precision + " requested");
  }

  private static Open open(PrecisionPlans plans, String name, String reason) {
    PrecisionPlans.Candidate c = plans.candidate(name);
    return new Open(name, c.file(), Set.copyOf(c.disabledOptimizers()), reason);
  }

  private static Open legacy(ModelManifest manifest, String precision) {
    Map<String, ?> files = manifest.files();
    String role = switch (precision) {
      case AUTO -> files.containsKey(FileRoles.INT8_ONNX) ? FileRoles.INT8_ONNX : FileRoles.FP32_ONNX;
      case PrecisionPlans.FP32 -> FileRoles.FP32_ONNX;
      case "int8" -> FileRoles.INT8_ONNX;
      default -> throw new IllegalArgumentException(manifest.ref() + " stores no precision plans; precision must be auto, fp32 or int8, got '"
          + precision + "'");
    };
    manifest.file(role); // throws naming the roles there are
    String plan = role.equals(FileRoles.INT8_ONNX) ? "int8" : PrecisionPlans.FP32;
    return new Open(plan, role, Set.of(), "precision=" + precision + ": " + manifest.ref() + " stores no plans, serving " + role);
  }
}
