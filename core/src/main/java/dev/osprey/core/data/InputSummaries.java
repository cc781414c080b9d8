package dev.osprey.core.data;

import dev.osprey.core.event.DType;
import dev.osprey.core.event.Tensor;
import java.util.List;

/**
 * Per-sample summaries of an image input, for drift the model's outputs may hide: overall
 * brightness, how much is ink, where the ink sits and how it is spread and slanted. Computed on
 * intensities in [0, 1] (uint8 / 255, float tensors as they are) over the last two dimensions;
 * coordinates are scaled to [0, 1] so the values do not depend on the image size.
 */
public final class InputSummaries {
  /** Names of the summary values, in order. */
  public static final List<String> FEATURES =
      List.of("mean_intensity", "ink_fraction", "centre_x", "centre_y", "spread_x", "spread_y", "slant");
  /** A pixel brighter than this (of full scale) is ink. */
  public static final float INK_LEVEL = 0.5f;

  private InputSummaries() {}

  /** Summaries of a uint8 greyscale image, row-major. */
  public static float[] ofUint8(byte[] pixels, int rows, int cols) {
    float[] v = new float[pixels.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = (pixels[i] & 0xFF) / 255f;
    }
    return of(v, rows, cols);
  }

  /**
   * Summaries of an image tensor (shape [..., rows, cols]; uint8 scaled by 1/255).
   *
   * @throws IllegalArgumentException if the tensor has fewer than 2 dimensions
   */
  public static float[] of(Tensor t) {
    List<Integer> shape = t.shape();
    if (shape.size() < 2) {
      throw new IllegalArgumentException("input summaries need an image tensor [..., rows, cols], got shape " + shape);
    }
    int rows = shape.get(shape.size() - 2);
    int cols = shape.get(shape.size() - 1);
    float[] v = t.toFloats();
    if (t.dtype() == DType.UINT8) {
      for (int i = 0; i < v.length; i++) {
        v[i] /= 255f;
      }
    }
    return of(v, rows, cols);
  }

  /**
   * Summaries of intensities in [0, 1]; several channels or images (length a multiple of
   * rows * cols) are summarised as one image stack.
   *
   * @throws IllegalArgumentException if the length is not a positive multiple of rows * cols
   */
  public static float[] of(float[] intensities, int rows, int cols) {
    int plane = rows * cols;
    if (plane <= 0 || intensities.length == 0 || intensities.length % plane != 0) {
      throw new IllegalArgumentException(
          intensities.length + " values are not a stack of " + rows + " x " + cols + " images");
    }
    double xScale = cols > 1 ? 1.0 / (cols - 1) : 0;
    double yScale = rows > 1 ? 1.0 / (rows - 1) : 0;
    double mass = 0;
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double syy = 0;
    double sxy = 0;
    int ink = 0;
    for (int i = 0; i < intensities.length; i++) {
      double v = intensities[i];
      if (v > INK_LEVEL) {
        ink++;
      }
      if (v <= 0) {
        continue;
      }
      int p = i % plane;
      double x = (p % cols) * xScale;
      double y = (p / cols) * yScale;
      mass += v;
      sx += v * x;
      sy += v * y;
      sxx += v * x * x;
      syy += v * y * y;
      sxy += v * x * y;
    }
    float[] out = new float[FEATURES.size()];
    out[0] = (float) (mass / intensities.length);
    out[1] = (float) ink / intensities.length;
    if (mass <= 0) {
      out[2] = 0.5f;
      out[3] = 0.5f;
      return out;
    }
    double cx = sx / mass;
    double cy = sy / mass;
    double vx = Math.max(0, sxx / mass - cx * cx);
    double vy = Math.max(0, syy / mass - cy * cy);
    double cov = sxy / mass - cx * cy;
    out[2] = (float) cx;
    out[3] = (float) cy;
    out[4] = (float) Math.sqrt(vx);
    out[5] = (float) Math.sqrt(vy);
    out[6] = vx > 0 && vy > 0 ? (float) (cov / Math.sqrt(vx * vy)) : 0f;
    return out;
  }
}
