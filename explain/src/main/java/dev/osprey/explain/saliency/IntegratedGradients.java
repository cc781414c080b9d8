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
 * approximated by a quadrature with {@code steps} gradient evaluations. With the fixed rules all
 * path points, plus x and x' themselves, go through one forward/backward pass; the adaptive rule
 * takes three (see {@link Rule#ADAPTIVE}). Completeness says the attributions sum to
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
    TRAPEZOID,
    /**
     * Adaptive midpoint refinement for a piecewise-smooth integrand (a ReLU/max-pool network's
     * gradient jumps wherever a unit switches along the path, so the error of a fixed rule falls
     * only as 1/steps and is dominated by the intervals that hold large jumps). Half the steps go
     * to a uniform midpoint rule; the forward-only outputs at the interval ends give each
     * interval's exact integral {@code f(a_hi) - f(a_lo)} of the directional derivative, hence its
     * exact error. Then, twice, a quarter of the steps split the intervals with the largest error
     * into thirds (the middle third keeps its gradient: two new gradients per split). The
     * attributions are the plain midpoint sums over the final intervals: the exact interval
     * integrals only choose where to look, so the residual stays an honest measure of the error.
     * Costs {@code steps} gradients in three passes plus about {@code steps} forward-only outputs.
     */
    ADAPTIVE
  }

  /**
   * @param steps gradient evaluations (intervals of the fixed rules), >= 1; the adaptive rule uses an
   *     even number of them after its first half, so at most one fewer
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
    if (params.rule() == Rule.ADAPTIVE) {
      return adaptive(input, base, target, t);
    }
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

  /** One interval of the adaptive rule: its ends, the outputs there, its midpoint gradient. */
  private static final class Interval {
    final double lo;
    final double hi;
    final double fLo;
    final double fHi;
    final float[] gradient;
    final double slope;

    Interval(double lo, double hi, double fLo, double fHi, float[] gradient, double slope) {
      this.lo = lo;
      this.hi = hi;
      this.fLo = fLo;
      this.fHi = fHi;
      this.gradient = gradient;
      this.slope = slope;
    }

    /** |midpoint estimate - exact integral| of the directional derivative over this interval. */
    double error() {
      return Math.abs(slope * (hi - lo) - (fHi - fLo));
    }
  }

  private AttributionMap adaptive(float[] input, float[] base, int target, Timings t) {
    int m = params.steps();
    int first = Math.max(1, m / 2);
    int perPass = Math.max(2, (m - first + 1) / 2);
    double[] ends = new double[first + 1];
    double[] mids = new double[first];
    for (int k = 0; k <= first; k++) {
      ends[k] = (double) k / first;
    }
    for (int k = 0; k < first; k++) {
      mids[k] = (k + 0.5) / first;
    }
    double[] f = outputs(input, base, ends, target, t);
    float[][] g = gradients(input, base, mids, target, t);
    java.util.List<Interval> intervals = new java.util.ArrayList<>();
    for (int k = 0; k < first; k++) {
      intervals.add(new Interval(ends[k], ends[k + 1], f[k], f[k + 1], g[k], slope(g[k], input, base)));
    }
    int left = m - first;
    while (left >= 2) {
      int splits = Math.min(left, perPass) / 2;
      intervals.sort(java.util.Comparator.comparingDouble(Interval::error).reversed());
      java.util.List<Interval> split = new java.util.ArrayList<>(intervals.subList(0, Math.min(splits, intervals.size())));
      double[] newMids = new double[2 * split.size()];
      double[] newEnds = new double[2 * split.size()];
      for (int s = 0; s < split.size(); s++) {
        Interval v = split.get(s);
        double third = (v.hi - v.lo) / 3;
        newEnds[2 * s] = v.lo + third;
        newEnds[2 * s + 1] = v.hi - third;
        newMids[2 * s] = v.lo + third / 2;
        newMids[2 * s + 1] = v.hi - third / 2;
      }
      double[] nf = outputs(input, base, newEnds, target, t);
      float[][] ng = gradients(input, base, newMids, target, t);
      for (int s = 0; s < split.size(); s++) {
        Interval v = split.get(s);
        intervals.remove(v);
        intervals.add(new Interval(v.lo, newEnds[2 * s], v.fLo, nf[2 * s], ng[2 * s], slope(ng[2 * s], input, base)));
        intervals.add(new Interval(newEnds[2 * s], newEnds[2 * s + 1], nf[2 * s], nf[2 * s + 1], v.gradient, v.slope));
        intervals.add(new Interval(newEnds[2 * s + 1], v.hi, nf[2 * s + 1], v.fHi, ng[2 * s + 1],
            slope(ng[2 * s + 1], input, base)));
      }
      left -= newMids.length;
    }
    double[] integral = new double[input.length];
    for (Interval v : intervals) {
      double w = v.hi - v.lo;
      for (int i = 0; i < input.length; i++) {
        integral[i] += w * v.gradient[i];
      }
    }
    float[] attr = new float[input.length];
    double sum = 0;
    for (int i = 0; i < input.length; i++) {
      double a = (input[i] - (double) base[i]) * integral[i];
      attr[i] = (float) a;
      sum += a;
    }
    double fx = f[first];
    double fBase = f[0];
    double residual = Math.abs(sum - (fx - fBase));
    return new AttributionMap(method(), parameters(), target, model.inputShape(), attr, model.runtime(),
        fx, fBase, residual, null, t.toMillis());
  }

  private static float[] point(float[] input, float[] base, double alpha) {
    float[] p = new float[input.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (base[i] + alpha * (input[i] - base[i]));
    }
    return p;
  }

  /** The target's output at each path point (forward only); alpha 0 and 1 are x' and x themselves. */
  private double[] outputs(float[] input, float[] base, double[] alphas, int target, Timings t) {
    float[][] batch = new float[alphas.length][];
    for (int k = 0; k < alphas.length; k++) {
      batch[k] = alphas[k] == 0 ? base : alphas[k] == 1 ? input : point(input, base, alphas[k]);
    }
    float[][] out = t.model(() -> model.outputs(batch, params.output()));
    double[] f = new double[alphas.length];
    for (int k = 0; k < alphas.length; k++) {
      f[k] = out[k][target];
    }
    return f;
  }

  private float[][] gradients(float[] input, float[] base, double[] alphas, int target, Timings t) {
    float[][] batch = new float[alphas.length][];
    for (int k = 0; k < alphas.length; k++) {
      batch[k] = point(input, base, alphas[k]);
    }
    int[] targets = new int[batch.length];
    Arrays.fill(targets, target);
    return t.model(() -> model.inputGradients(batch, targets, params.output())).gradients();
  }

  /** Directional derivative along the path: {@code grad . (x - x')}. */
  private static double slope(float[] gradient, float[] input, float[] base) {
    double d = 0;
    for (int i = 0; i < input.length; i++) {
      d += gradient[i] * ((double) input[i] - base[i]);
    }
    return d;
  }
}
