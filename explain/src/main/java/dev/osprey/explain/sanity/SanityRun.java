package dev.osprey.explain.sanity;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.Explainer;
import dev.osprey.explain.Method;
import dev.osprey.explain.model.DjlNetwork;
import dev.osprey.explain.model.OutputKind;
import dev.osprey.explain.render.CurveRenderer;
import dev.osprey.explain.saliency.VanillaGradient;
import dev.osprey.explain.service.MethodSettings;
import dev.osprey.model.InputSpec;
import dev.osprey.model.Softmax;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code osprey explain sanity}: the cascading-randomization check ({@link SanityCheck}) and the
 * deletion curves ({@link DeletionCurve}) of every method on one network, as a report and two PNG
 * charts. All methods run on the fp32 twin here (the check randomizes its weights; occlusion and
 * SHAP then query the twin instead of the served graph). The gradient differentiates the logit,
 * as Adebayo et al. do.
 */
public final class SanityRun {
  /** Deletion points per curve. */
  private static final int POINTS = 11;

  /**
   * @param check the randomization report
   * @param deletion per method: mean curve over the inputs, by attribution and random
   */
  public record Result(SanityCheck.Report check, Map<Method, DeletionCurve.Curve> deletion) {
    /** The report as markdown: the Spearman table, then the deletion AUCs. */
    public String toMarkdown() {
      StringBuilder sb = new StringBuilder("Spearman of |map|, trained vs randomized (mean over the inputs):\n\n");
      sb.append(check.toMarkdown()).append("\n| method | deletion AUC by attribution | random order | verdict |\n|---|---|---|---|\n");
      for (var e : deletion.entrySet()) {
        double rho = check.atFullRandomization(e.getKey());
        sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %s |%n", e.getKey(), e.getValue().areaByAttribution(),
            e.getValue().areaRandom(), rho < 0.3 ? "decorrelates (rho " + fmt(rho) + ")"
                : "does NOT decorrelate (rho " + fmt(rho) + ")"));
      }
      return sb.toString();
    }

    private static String fmt(double v) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
  }

  private SanityRun() {}

  /** Runs the check and the deletion curves on {@code inputs}, each explained for its predicted class. */
  public static Result run(DjlNetwork twin, InputSpec input, MethodSettings settings, List<Method> methods,
      float[][] inputs, long seed) {
    float[][] p = twin.scores(inputs);
    int[] targets = new int[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      targets[i] = Softmax.argmax(p[i]);
    }
    float[][] background = {MethodSettings.black(input)};
    Map<Method, Function<DjlNetwork, Explainer>> build = new LinkedHashMap<>();
    for (Method m : methods) {
      build.put(m, m == Method.GRADIENT
          ? n -> new VanillaGradient(n, new VanillaGradient.Params(OutputKind.LOGIT))
          : n -> settings.explainer(m, input, n, n, background));
    }
    SanityCheck.Report report = new SanityCheck(build, seed).run(twin, inputs, targets);
    DeletionCurve curves = new DeletionCurve(twin, MethodSettings.black(input)[0], POINTS);
    Map<Method, DeletionCurve.Curve> deletion = new LinkedHashMap<>();
    for (var e : build.entrySet()) {
      Explainer ex = e.getValue().apply(twin);
      double[] byAttr = new double[POINTS];
      double[] random = new double[POINTS];
      double[] fractions = null;
      for (int i = 0; i < inputs.length; i++) {
        AttributionMap a = ex.explain(inputs[i], targets[i]);
        DeletionCurve.Curve c = curves.measure(inputs[i], targets[i], a.values(), seed + i);
        fractions = c.fractions();
        for (int k = 0; k < POINTS; k++) {
          byAttr[k] += c.byAttribution()[k] / inputs.length;
          random[k] += c.random()[k] / inputs.length;
        }
      }
      deletion.put(e.getKey(), new DeletionCurve.Curve(fractions, byAttr, random));
    }
    return new Result(report, deletion);
  }

  /**
   * Writes {@code sanity.png} (Spearman per method after each randomization step) and
   * {@code deletion.png} (mean class score as pixels are deleted, per method, and random order).
   *
   * @return the two files
   * @throws IOException if they cannot be written
   */
  public static List<Path> writeCharts(Result r, Path dir) throws IOException {
    CurveRenderer charts = new CurveRenderer();
    List<String> steps = new ArrayList<>(List.of("trained"));
    steps.addAll(r.check().steps());
    Map<String, double[]> rho = new LinkedHashMap<>();
    r.check().spearman().forEach((m, v) -> {
      double[] withTrained = new double[v.length + 1];
      withTrained[0] = 1;
      System.arraycopy(v, 0, withTrained, 1, v.length);
      rho.put(m.wireName(), withTrained);
    });
    Path sanity = dir.resolve("sanity.png");
    charts.write(sanity, "Cascading randomization: Spearman of |map| vs trained", "rho", steps, rho, 0, 1);
    Map<String, double[]> del = new LinkedHashMap<>();
    List<String> fractions = new ArrayList<>();
    double[] random = null;
    for (var e : r.deletion().entrySet()) {
      del.put(e.getKey().wireName(), e.getValue().byAttribution());
      random = e.getValue().random();
      if (fractions.isEmpty()) {
        for (double f : e.getValue().fractions()) {
          fractions.add(String.format(Locale.ROOT, "%.0f%%", 100 * f));
        }
      }
    }
    if (random != null) {
      del.put("random order", random);
    }
    Path deletion = dir.resolve("deletion.png");
    charts.write(deletion, "Deletion: class probability as top-attributed pixels go", "p(class)", fractions, del, 0, 1);
    return List.of(sanity, deletion);
  }
}
