package dev.osprey.cli.models;

import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.plan.PlanSelection;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.PrecisionPlans;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The lines {@code osprey models show} prints under the manifest about its precision plans. */
final class PlanSummary {
  private PlanSummary() {}

  /** Nothing for a version without plans; else one line per plan, one block per measured host, and what auto serves on {@code here}. */
  static List<String> lines(ModelManifest manifest, HostProfile here) {
    PrecisionPlans plans = manifest.plans();
    List<String> out = new ArrayList<>();
    if (plans == null) {
      return out;
    }
    int width = plans.candidates().keySet().stream().mapToInt(String::length).max().orElse(4);
    out.add("precision plans:");
    plans.candidates().forEach((name, c) -> out.add(String.format(Locale.ROOT, "  %-" + width + "s  accuracy %.4f  agreement %.4f  %s%s",
        name, c.accuracy(), c.agreement(), c.file(),
        c.disabledOptimizers().isEmpty() ? "" : "  (ORT without " + String.join(", ", c.disabledOptimizers()) + ")")));
    for (Map.Entry<String, PrecisionPlans.HostFigures> h : plans.hosts().entrySet()) {
      PrecisionPlans.HostFigures f = h.getValue();
      out.add(String.format(Locale.ROOT, "measured on %s (batch %d, %d thread%s, %d rounds; samples/s median / slowest):", h.getKey(),
          f.batchSize(), f.threads(), f.threads() == 1 ? "" : "s", f.rounds()));
      f.samplesPerSecond().forEach((name, r) -> out.add(String.format(Locale.ROOT, "  %-" + width + "s  %,.0f / %,.0f%s", name, r.median(),
          r.min(), name.equals(f.chosen()) ? "  <- auto" : "")));
    }
    PlanSelection auto = PlanSelection.select(manifest, here, PlanSelection.AUTO);
    out.add("auto on this host: " + (auto instanceof PlanSelection.Open open ? open.plan() + " (" + open.reason() + ")"
        : "not measured here; the loader measures the plans on first load (" + here.key() + ")"));
    return out;
  }
}
