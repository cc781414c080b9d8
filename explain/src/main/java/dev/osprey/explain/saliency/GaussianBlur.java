package dev.osprey.explain.saliency;

import dev.osprey.explain.ImageShape;

/** Separable Gaussian blur per channel, edges clamped (the border pixel repeats). */
public final class GaussianBlur {
  private GaussianBlur() {}

  /**
   * Blurs {@code input} with a Gaussian of {@code sigma} pixels, truncated at 3 sigma.
   *
   * @throws IllegalArgumentException if sigma is not positive or the input does not fit the shape
   */
  public static float[] blur(float[] input, ImageShape shape, double sigma) {
    if (!(sigma > 0)) {
      throw new IllegalArgumentException("sigma must be > 0, got " + sigma);
    }
    shape.check(input);
    int radius = Math.max(1, (int) Math.ceil(3 * sigma));
    double[] kernel = new double[2 * radius + 1];
    double total = 0;
    for (int i = -radius; i <= radius; i++) {
      kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
      total += kernel[i + radius];
    }
    for (int i = 0; i < kernel.length; i++) {
      kernel[i] /= total;
    }
    int h = shape.height();
    int w = shape.width();
    float[] out = new float[input.length];
    double[] tmp = new double[h * w];
    for (int c = 0; c < shape.channels(); c++) {
      int base = c * shape.plane();
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          double s = 0;
          for (int k = -radius; k <= radius; k++) {
            s += kernel[k + radius] * input[base + y * w + clamp(x + k, w)];
          }
          tmp[y * w + x] = s;
        }
      }
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          double s = 0;
          for (int k = -radius; k <= radius; k++) {
            s += kernel[k + radius] * tmp[clamp(y + k, h) * w + x];
          }
          out[base + y * w + x] = (float) s;
        }
      }
    }
    return out;
  }

  private static int clamp(int i, int n) {
    return i < 0 ? 0 : i >= n ? n - 1 : i;
  }
}
