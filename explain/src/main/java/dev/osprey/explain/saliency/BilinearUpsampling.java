package dev.osprey.explain.saliency;

/**
 * Bilinear resizing of one map with half-pixel centers (PyTorch's {@code interpolate(...,
 * mode="bilinear", align_corners=False)}): output pixel centers map to
 * {@code (i + 0.5) * in / out - 0.5} in the input, clamped at the edges.
 */
public final class BilinearUpsampling {
  private BilinearUpsampling() {}

  /**
   * Resizes an {@code inH x inW} map to {@code outH x outW}.
   *
   * @throws IllegalArgumentException if the map does not hold inH * inW values
   */
  public static float[] resize(float[] map, int inH, int inW, int outH, int outW) {
    if (map.length != inH * inW) {
      throw new IllegalArgumentException("map of " + map.length + " values is not " + inH + "x" + inW);
    }
    float[] out = new float[outH * outW];
    for (int y = 0; y < outH; y++) {
      double sy = Math.max(0, (y + 0.5) * inH / outH - 0.5);
      int y0 = Math.min((int) sy, inH - 1);
      int y1 = Math.min(y0 + 1, inH - 1);
      double fy = sy - y0;
      for (int x = 0; x < outW; x++) {
        double sx = Math.max(0, (x + 0.5) * inW / outW - 0.5);
        int x0 = Math.min((int) sx, inW - 1);
        int x1 = Math.min(x0 + 1, inW - 1);
        double fx = sx - x0;
        double top = map[y0 * inW + x0] * (1 - fx) + map[y0 * inW + x1] * fx;
        double bottom = map[y1 * inW + x0] * (1 - fx) + map[y1 * inW + x1] * fx;
        out[y * outW + x] = (float) (top * (1 - fy) + bottom * fy);
      }
    }
    return out;
  }
}
