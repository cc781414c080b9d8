package dev.osprey.explain.saliency;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.Explainer;
import dev.osprey.explain.Method;
import dev.osprey.explain.Timings;
import dev.osprey.explain.model.GradientModel;
import dev.osprey.explain.model.InputGradients;
import dev.osprey.explain.model.OutputKind;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Integrated Gradients (Sundararajan et al. 2017):
 * {@code IG_i = (x_i - x'_i) * integral_0^1 d f_c(x' + a (x - x')) / d x_i da}, the integral
 * approximated by a Riemann sum over {@code steps} intervals. All path points, plus x and x'
 * themselves, go through one forward/backward pass. Completeness says the attributions sum to
 * {@code f_c(x) - f_c(x')}; the residual {@code |sum(IG) - (f_c(x) - f_c(x'))|} measures the
 * quadrature error and is reported with every map.
 */
public record IntegratedGradients(GradientModel model, Params params) implements Explainer {

  /**
   * How the path integral is discretized. For a piecewise-smooth integrand both errors shrink as
   * 1/steps^2; the midpoint rule's constant is half the trapezoid's and it needs one gradient
   * fewer, so it is the default.
   */
  public enum Rule {
    /** Gradients at a = (k + 1/2) / steps, k = 0..steps-1, each weighted 1/steps. */
    MIDPOINT,
    /** Gradients at a = k / steps, k = 0..steps, weighted 1/(2 steps) at the ends and 1/steps inside. */
    TRAPEZOID
  }

  /**
   * @param steps intervals of the Riemann sum, >= 1
   * @param baseline the reference input x'
   * @param rule quadrature rule
   * @param output which output is integrated (default: the class probability)
   */
  public record Params(int steps, Baseline baseline, Rule rule, OutputKind output) {
    public Params {
      if (steps < 1) {
        throw new IllegalArgumentException("steps must be >= 1, got " + steps);
      }
      if (baseline == null || rule == null || output == null) {
        throw new IllegalArgumentException("baseline, rule and output must be set");
      }
    }

    /** 32 midpoint steps from {@code baseline}, class probability. */
    public static Params of(Baseline baseline) {
      return new Params(32, baseline, Rule.MIDPOINT, OutputKind.PROBABILITY);
    }

    public Params withSteps(int n) {
      return new Params(n, baseline, rule, output);
    }

    public Params withRule(Rule r) {
      return new Params(steps, baseline, r, output);
    }

    public Map<String, String> asMap() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("steps", Integer.toString(steps));
      m.put("baseline", baseline.describe());
      m.put("rule", rule.name().toLowerCase(Locale.ROOT));
      m.put("output", output.name().toLowerCase(Locale.ROOT));
      return m;
    }
  }

  @Override
  public Method method() {
    return Method.INTEGRATED_GRADIENTS;
  }

  @Override
  public Map<String, String> parameters() {
    return params.asMap();
  }

  @Override
  public AttributionMap explain(float[] input, int target) {
    Timings t = new Timings();
    model.inputShape().check(input);
    float[] base = params.baseline().of(input, model.inputShape());
    int m = params.steps();
    double[] alphas;
    double[] weights;
    if (params.rule() == Rule.MIDPOINT) {
      alphas = new double[m];
      weights = new double[m];
      for (int k = 0; k < m; k++) {
        alphas[k] = (k + 0.5) / m;
        weights[k] = 1.0 / m;
      }
    } else {
      alphas = new double[m + 1];
      weights = new double[m + 1];
      for (int k = 0; k <= m; k++) {
        alphas[k] = (double) k / m;
        weights[k] = (k == 0 || k == m) ? 0.5 / m : 1.0 / m;
      }
    }
    // path points, then x and x' (their outputs give the completeness target)
    int points = alphas.length;
    float[][] batch = new float[points + 2][];
    for (int k = 0; k < points; k++) {
      float[] p = new float[input.length];
      for (int i = 0; i < p.length; i++) {
        p[i] = (float) (base[i] + alphas[k] * (input[i] - base[i]));
      }
      batch[k] = p;
    }
    batch[points] = input;
    batch[points + 1] = base;
    int[] targets = new int[batch.length];
    Arrays.fill(targets, target);
    InputGradients g = t.model(() -> model.inputGradients(batch, targets, params.output()));

    float[] attr = new float[input.length];
    double sum = 0;
    for (int i = 0; i < input.length; i++) {
      double integral = 0;
      for (int k = 0; k < points; k++) {
        integral += weights[k] * g.gradients()[k][i];
      }
      double a = (input[i] - (double) base[i]) * integral;
      attr[i] = (float) a;
      sum += a;
    }
    double fx = g.outputs()[points][target];
    double fBase = g.outputs()[points + 1][target];
    double residual = Math.abs(sum - (fx - fBase));
    return new AttributionMap(method(), parameters(), target, model.inputShape(), attr, model.runtime(),
        fx, fBase, residual, null, t.toMillis());
  }
}
