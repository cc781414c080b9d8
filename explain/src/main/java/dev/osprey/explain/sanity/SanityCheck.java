package dev.osprey.explain.sanity;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.Explainer;
import dev.osprey.explain.Method;
import dev.osprey.explain.model.DjlNetwork;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The model-randomization sanity check of Adebayo et al. (2018): explain a set of inputs with the
 * trained network, then randomize its layers from the top down (see
 * {@link CascadingRandomization}) and, after each step, explain the same inputs for the same
 * target classes again; report per method the mean Spearman correlation between the absolute
 * maps of the trained and the randomized network. A method whose maps stay correlated when the
 * weights are gone explains the input, not the model.
 */
public final class SanityCheck {

  /**
   * @param steps the randomization steps in order (layer names, logits first)
   * @param spearman per method, the mean rank correlation after each step
   */
  public record Report(List<String> steps, Map<Method, double[]> spearman) {
    /** Mean correlation after the last step (every learned layer randomized). */
    public double atFullRandomization(Method m) {
      double[] v = spearman.get(m);
      return v[v.length - 1];
    }

    /** A markdown table: one row per step, one column per method. */
    public String toMarkdown() {
      StringBuilder sb = new StringBuilder("| randomized down to |");
      spearman.keySet().forEach(m -> sb.append(' ').append(m.wireName()).append(" |"));
      sb.append("\n|---|");
      spearman.keySet().forEach(m -> sb.append("---|"));
      sb.append('\n');
      for (int s = 0; s < steps.size(); s++) {
        sb.append("| ").append(steps.get(s)).append(" |");
        for (double[] v : spearman.values()) {
          sb.append(String.format(Locale.ROOT, " %.3f |", v[s]));
        }
        sb.append('\n');
      }
      return sb.toString();
    }
  }

  private final Map<Method, Function<DjlNetwork, Explainer>> methods;
  private final long seed;

  /**
   * @param methods how to build each method's explainer for a network (trained or randomized)
   * @param seed randomization seed
   */
  public SanityCheck(Map<Method, Function<DjlNetwork, Explainer>> methods, long seed) {
    this.methods = new LinkedHashMap<>(methods);
    this.seed = seed;
  }

  /** Runs the check on a copy of {@code trained} (which is not modified). */
  public Report run(DjlNetwork trained, float[][] inputs, int[] targets) {
    Map<Method, List<float[]>> reference = explainAll(trained, inputs, targets);
    List<String> names = new ArrayList<>();
    Map<Method, double[]> rho = new LinkedHashMap<>();
    try (DjlNetwork copy = trained.copy()) {
      CascadingRandomization randomization = new CascadingRandomization(copy, seed);
      int steps = randomization.steps().size();
      methods.keySet().forEach(m -> rho.put(m, new double[steps]));
      for (int s = 0; randomization.hasNext(); s++) {
        names.add(randomization.randomizeNext().name());
        Map<Method, List<float[]>> now = explainAll(copy, inputs, targets);
        for (Method m : methods.keySet()) {
          double sum = 0;
          for (int i = 0; i < inputs.length; i++) {
            sum += RankCorrelation.spearmanOfAbsolute(reference.get(m).get(i), now.get(m).get(i));
          }
          rho.get(m)[s] = sum / inputs.length;
        }
      }
    }
    return new Report(List.copyOf(names), rho);
  }

  private Map<Method, List<float[]>> explainAll(DjlNetwork net, float[][] inputs, int[] targets) {
    Map<Method, List<float[]>> out = new LinkedHashMap<>();
    for (var e : methods.entrySet()) {
      Explainer ex = e.getValue().apply(net);
      List<float[]> maps = new ArrayList<>();
      for (int i = 0; i < inputs.length; i++) {
        AttributionMap a = ex.explain(inputs[i], targets[i]);
        maps.add(a.values());
      }
      out.put(e.getKey(), maps);
    }
    return out;
  }
}
