package dev.osprey.model.plan;

import dev.osprey.model.InputSpec;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.registry.PrecisionPlans;
import dev.osprey.model.runtime.PredictorException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Measures a published version's stored plans on this host, for {@code precision=auto} on a host
 * the version has no figures for ({@link PlanSelection.Measure}): throughput of each plan file side
 * by side in alternating rounds ({@link PrecisionPlanner#measure}); accuracy and agreement are the
 * ones the manifest records (they do not depend on the host), so the choice obeys the same bound.
 */
public final class PlanMeasurement {
  private final PrecisionPlanner planner;

  public PlanMeasurement(PrecisionPlanner.Options options) {
    this.planner = new PrecisionPlanner(options);
  }

  /**
   * @param inputs normalized samples to time the plans on (at least one batch); only their speed is used
   * @return this host's entry, with the plan {@code auto} serves here
   * @throws IllegalArgumentException if the version stores no plans
   * @throws IOException if a plan file cannot be read
   * @throws PredictorException if ONNX Runtime refuses a plan
   */
  public PrecisionPlans.HostFigures measure(ModelVersion version, PrecisionPlanner.Reference inputs)
      throws IOException, PredictorException {
    PrecisionPlans section = version.manifest().plans();
    if (section == null) {
      throw new IllegalArgumentException(version.ref() + " stores no precision plans");
    }
    Map<String, PrecisionPlan> plans = PlanSection.plans(section);
    Map<String, byte[]> graphs = new LinkedHashMap<>();
    Map<String, Long> bytes = new LinkedHashMap<>();
    for (Map.Entry<String, PrecisionPlans.Candidate> c : section.candidates().entrySet()) {
      byte[] graph = Files.readAllBytes(version.file(c.getValue().file()));
      graphs.put(c.getKey(), graph);
      bytes.put(c.getKey(), (long) graph.length);
    }
    Map<String, PrecisionPlans.Rate> rates = new LinkedHashMap<>();
    for (PlanFigures f : planner.measure(plans, graphs, inputs)) {
      rates.put(f.plan(), new PrecisionPlans.Rate(f.samplesPerSecond(), f.minSamplesPerSecond()));
    }
    List<PlanFigures> figures = PlanSection.figures(section, rates, bytes);
    PrecisionPlanner.Options o = planner.options();
    return PlanSection.hostFigures(HostProfile.current(), o, figures, PlanChoice.choose(figures, o.maxAccuracyDrop(), o.minAgreement()));
  }

  /**
   * Seeded random inputs in the normalized range, for hosts with no reference data at hand
   * (throughput does not depend on the values); labels are all 0.
   */
  public static PrecisionPlanner.Reference syntheticInputs(InputSpec input, int samples, long seed) {
    Random rng = new Random(seed);
    float[] x = new float[samples * input.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    return new PrecisionPlanner.Reference(x, new int[samples], input.size());
  }
}
