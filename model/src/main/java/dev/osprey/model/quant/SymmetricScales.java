package dev.osprey.model.quant;

/**
 * Symmetric int8 quantization math, zero point 0 (what TensorRT requires):
 * {@code q = clamp(round(x / s), -127, 127)}, {@code x ~ q * s}, {@code s = threshold / 127}.
 * The range is [-127, 127] (not -128) so that it stays symmetric.
 */
public final class SymmetricScales {
  public static final int QMAX = 127;
  /** Scale used for an all-zero tensor or channel (any positive value maps 0 to 0). */
  static final float ZERO_RANGE_SCALE = 1f;

  private SymmetricScales() {}

  /** {@code threshold / 127}, or {@link #ZERO_RANGE_SCALE} when the threshold is 0. */
  public static float scale(float threshold) {
    if (!(threshold >= 0) || Float.isInfinite(threshold)) {
      throw new IllegalArgumentException("threshold must be finite and >= 0, got " + threshold);
    }
    return threshold == 0 ? ZERO_RANGE_SCALE : threshold / QMAX;
  }

  /** Largest absolute value. */
  public static float absMax(float[] x) {
    float m = 0;
    for (float v : x) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  /**
   * One scale per slice along {@code axis} of a tensor of shape {@code dims}: for Conv weights
   * [out, in, k, k] axis 0, for a Gemm weight with transB = 1 ([out, in]) axis 0, with transB = 0
   * or a MatMul weight ([in, out]) axis 1.
   */
  public static float[] perChannel(float[] w, long[] dims, int axis) {
    return perChannel(w, dims, axis, QMAX);
  }

  /** As {@link #perChannel(float[], long[], int)} with scale {@code max|w| / qmax} (63 for 7-bit weights). */
  public static float[] perChannel(float[] w, long[] dims, int axis, int qmax) {
    if (axis < 0 || axis >= dims.length) {
      throw new IllegalArgumentException("axis " + axis + " outside a rank-" + dims.length + " tensor");
    }
    int channels = (int) dims[axis];
    int inner = 1;
    for (int d = axis + 1; d < dims.length; d++) {
      inner *= (int) dims[d];
    }
    float[] max = new float[channels];
    for (int i = 0; i < w.length; i++) {
      int c = (i / inner) % channels;
      max[c] = Math.max(max[c], Math.abs(w[i]));
    }
    float[] s = new float[channels];
    for (int c = 0; c < channels; c++) {
      s[c] = max[c] == 0 ? ZERO_RANGE_SCALE : max[c] / qmax;
    }
    return s;
  }

  /** Quantizes with per-channel scales along {@code axis} (see {@link #perChannel}). */
  public static byte[] quantizePerChannel(float[] w, long[] dims, int axis, float[] scales) {
    int channels = (int) dims[axis];
    int inner = 1;
    for (int d = axis + 1; d < dims.length; d++) {
      inner *= (int) dims[d];
    }
    byte[] q = new byte[w.length];
    for (int i = 0; i < w.length; i++) {
      q[i] = (byte) quantize(w[i], scales[(i / inner) % channels]);
    }
    return q;
  }

  /** {@code clamp(round(x / s), -127, 127)}, rounding half to even as ONNX QuantizeLinear does. */
  public static int quantize(float x, float s) {
    double r = Math.rint(x / (double) s);
    return (int) Math.max(-QMAX, Math.min(QMAX, r));
  }
}
