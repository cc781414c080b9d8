package dev.osprey.model.plan;

import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.registry.PrecisionPlans;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes what the {@link PrecisionPlanner} found as the manifest's {@code plans} section, and reads
 * the section back into plans and figures the planner and {@link PlanChoice} understand.
 */
public final class PlanSection {
  private PlanSection() {}

  /**
   * The plans section of a version that stores every plan of {@code result} under its
   * {@link PrecisionPlan#fileName()} role.
   *
   * @param sha256 plan name -> SHA-256 of its ONNX file
   * @throws IllegalArgumentException if a plan has no hash
   */
  public static PrecisionPlans of(PrecisionPlanner.Result result, PrecisionPlanner.Options options, Map<String, String> sha256) {
    Map<String, PrecisionPlans.Candidate> candidates = new LinkedHashMap<>();
    for (PlanFigures f : result.figures()) {
      PrecisionPlan plan = result.plans().get(f.plan());
      String hash = sha256.get(f.plan());
      if (hash == null) {
        throw new IllegalArgumentException("no sha256 for plan " + f.plan());
      }
      candidates.put(f.plan(), new PrecisionPlans.Candidate(plan.fileName(), hash, plan.description(),
          plan.isFp32() ? List.of() : List.copyOf(plan.quantization().opTypes()),
          plan.isFp32() ? List.of() : List.copyOf(plan.quantization().excludedNodes()),
          List.copyOf(plan.disabledOptimizers()), f.accuracy(), f.agreement()));
    }
    return new PrecisionPlans(candidates,
        Map.of(result.host().key(), hostFigures(result.host(), options, result.figures(), result.choice())));
  }

  /** One host's entry: the rates of {@code figures} and the choice made from them. */
  public static PrecisionPlans.HostFigures hostFigures(HostProfile host, PrecisionPlanner.Options options, List<PlanFigures> figures,
      PlanChoice choice) {
    Map<String, PrecisionPlans.Rate> rates = new LinkedHashMap<>();
    for (PlanFigures f : figures) {
      rates.put(f.plan(), new PrecisionPlans.Rate(f.samplesPerSecond(), f.minSamplesPerSecond()));
    }
    return new PrecisionPlans.HostFigures(host.cpuModel(), List.copyOf(host.flags()), host.cores(), options.batchSize(),
        options.threads(), options.rounds(), rates, choice.plan(), choice.reason());
  }

  /**
   * The stored plans as {@link PrecisionPlan}s, enough to open and measure them (the calibration
   * settings that built them are not needed for that and are not part of the section).
   */
  public static Map<String, PrecisionPlan> plans(PrecisionPlans section) {
    Map<String, PrecisionPlan> out = new LinkedHashMap<>();
    section.candidates().forEach((name, c) -> out.put(name, new PrecisionPlan(name,
        c.opTypes().isEmpty() ? null : QuantizationConfig.of(CalibrationMethod.ENTROPY)
            .withOpTypes(Set.copyOf(c.opTypes())).withExcludedNodes(Set.copyOf(c.fp32Nodes())),
        Set.copyOf(c.disabledOptimizers()), c.description())));
    return out;
  }

  /** The figures {@link PlanChoice} chooses from: the section's accuracy and agreement with the given rates. */
  public static List<PlanFigures> figures(PrecisionPlans section, Map<String, PrecisionPlans.Rate> rates, Map<String, Long> bytes) {
    List<PlanFigures> out = new ArrayList<>();
    section.candidates().forEach((name, c) -> {
      PrecisionPlans.Rate r = rates.get(name);
      if (r != null) {
        out.add(new PlanFigures(name, c.accuracy(), c.agreement(), r.median(), r.min(), bytes.getOrDefault(name, 0L), c.fp32Nodes()));
      }
    });
    return out;
  }
}
