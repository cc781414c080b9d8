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
import java.util.Random;

/**
 * SmoothGrad (Smilkov et al. 2017): the mean gradient over {@code samples} copies of the input
 * with Gaussian noise of standard deviation {@code noiseFraction * (max(x) - min(x))}. All copies
 * (plus the clean input, for its score) go through one forward/backward pass. The noise comes
 * from a generator seeded with {@code seed}, so a given input always gets the same map.
 */
public record SmoothGrad(GradientModel model, Params params) implements Explainer {

  /**
   * @param samples noisy copies n, >= 1
   * @param noiseFraction sigma as a fraction of the input's range, >= 0 (the paper finds 0.1-0.2 best)
   * @param seed noise seed
   * @param output which output is differentiated
   */
  public record Params(int samples, double noiseFraction, long seed, OutputKind output) {
    public Params {
      if (samples < 1) {
        throw new IllegalArgumentException("samples must be >= 1, got " + samples);
      }
      if (!(noiseFraction >= 0)) {
        throw new IllegalArgumentException("noiseFraction must be >= 0, got " + noiseFraction);
      }
    }

    /** n = 16, sigma = 15% of the range, seed 0, class probability. */
    public static Params defaults() {
      return new Params(16, 0.15, 0, OutputKind.PROBABILITY);
    }

    public Map<String, String> asMap() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("samples", Integer.toString(samples));
      m.put("noiseFraction", String.format(Locale.ROOT, "%.3f", noiseFraction));
      m.put("seed", Long.toString(seed));
      m.put("output", output.name().toLowerCase(Locale.ROOT));
      return m;
    }
  }

  @Override
  public Method method() {
    return Method.SMOOTHGRAD;
  }

  @Override
  public Map<String, String> parameters() {
    return params.asMap();
  }

  @Override
  public AttributionMap explain(float[] input, int target) {
    Timings t = new Timings();
    model.inputShape().check(input);
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (float v : input) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    double sigma = params.noiseFraction() * (max - min);
    Random rnd = new Random(params.seed());
    int n = params.samples();
    float[][] batch = new float[n + 1][];
    for (int s = 0; s < n; s++) {
      float[] noisy = new float[input.length];
      for (int i = 0; i < input.length; i++) {
        noisy[i] = (float) (input[i] + sigma * rnd.nextGaussian());
      }
      batch[s] = noisy;
    }
    batch[n] = input;
    int[] targets = new int[n + 1];
    Arrays.fill(targets, target);
    InputGradients g = t.model(() -> model.inputGradients(batch, targets, params.output()));
    double[] sum = new double[input.length];
    for (int s = 0; s < n; s++) {
      float[] row = g.gradients()[s];
      for (int i = 0; i < sum.length; i++) {
        sum[i] += row[i];
      }
    }
    float[] mean = new float[input.length];
    for (int i = 0; i < mean.length; i++) {
      mean[i] = (float) (sum[i] / n);
    }
    return new AttributionMap(method(), parameters(), target, model.inputShape(), mean, model.runtime(),
        g.outputs()[n][target], null, null, null, t.toMillis());
  }
}
