package dev.osprey.explain.saliency;

import dev.osprey.explain.ImageShape;
import dev.osprey.model.InputSpec;
import java.util.Arrays;
import java.util.Locale;

/**
 * The reference input x' that Integrated Gradients integrates from (and a fill for occlusion):
 * what "absence of signal" means. Each choice hides something: a black baseline gives zero
 * attribution wherever the input is black; a blurred one, wherever the input is already smooth;
 * the reference mean, wherever the input looks like the average digit.
 */
public sealed interface Baseline {

  /** The baseline for {@code input} (normalized, of {@code shape}). */
  float[] of(float[] input, ImageShape shape);

  /** A short description for the explanation's parameters, e.g. "black", "blurred(sigma=4.0)". */
  String describe();

  /** A constant per channel (e.g. black: the normalized value of a 0 pixel). */
  record PerChannel(String name, float[] values) implements Baseline {
    public PerChannel {
      values = values.clone();
    }

    @Override
    public float[] of(float[] input, ImageShape shape) {
      if (values.length != shape.channels() && values.length != 1) {
        throw new IllegalArgumentException(values.length + " channel values for shape " + shape);
      }
      float[] out = new float[shape.size()];
      for (int c = 0; c < shape.channels(); c++) {
        Arrays.fill(out, c * shape.plane(), (c + 1) * shape.plane(), values[values.length == 1 ? 0 : c]);
      }
      return out;
    }

    @Override
    public String describe() {
      return name;
    }
  }

  /** The input blurred by a Gaussian of {@code sigma} pixels (Sturmfels et al., Distill 2020). */
  record Blurred(double sigma) implements Baseline {
    public Blurred {
      if (!(sigma > 0)) {
        throw new IllegalArgumentException("blur sigma must be > 0, got " + sigma);
      }
    }

    @Override
    public float[] of(float[] input, ImageShape shape) {
      return GaussianBlur.blur(input, shape, sigma);
    }

    @Override
    public String describe() {
      return String.format(Locale.ROOT, "blurred(sigma=%.1f)", sigma);
    }
  }

  /** The mean of reference samples (e.g. the model's reference data). */
  record ReferenceMean(float[] mean, int count) implements Baseline {
    public ReferenceMean {
      mean = mean.clone();
    }

    @Override
    public float[] of(float[] input, ImageShape shape) {
      shape.check(mean);
      return mean.clone();
    }

    @Override
    public String describe() {
      return "reference-mean(n=" + count + ")";
    }
  }

  /** Black: the normalized value of a zero pixel in each channel of {@code spec}. */
  static Baseline black(InputSpec spec) {
    float[] v = new float[spec.mean().length];
    for (int c = 0; c < v.length; c++) {
      v[c] = (0f / spec.scale() - spec.mean()[c]) / spec.std()[c];
    }
    return new PerChannel("black", v);
  }

  /** A constant value in every channel. */
  static Baseline constant(float value) {
    return new PerChannel(String.format(Locale.ROOT, "constant(%.4f)", value), new float[] {value});
  }

  static Baseline blurred(double sigma) {
    return new Blurred(sigma);
  }

  /**
   * The element-wise mean of {@code references}.
   *
   * @throws IllegalArgumentException if there are none or their lengths differ
   */
  static Baseline referenceMean(float[][] references) {
    if (references.length == 0) {
      throw new IllegalArgumentException("reference mean needs at least one sample");
    }
    double[] sum = new double[references[0].length];
    for (float[] r : references) {
      if (r.length != sum.length) {
        throw new IllegalArgumentException("reference samples differ in length");
      }
      for (int i = 0; i < sum.length; i++) {
        sum[i] += r[i];
      }
    }
    float[] mean = new float[sum.length];
    for (int i = 0; i < sum.length; i++) {
      mean[i] = (float) (sum[i] / references.length);
    }
    return new ReferenceMean(mean, references.length);
  }
}
