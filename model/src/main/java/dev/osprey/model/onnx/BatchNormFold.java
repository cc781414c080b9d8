package dev.osprey.model.onnx;

/**
 * Folds an inference-time batch normalization into the conv or dense layer before it. Batch norm
 * at inference is the affine map {@code y = gamma (x - mean) / sqrt(var + eps) + beta} per output
 * channel, so with {@code k = gamma / sqrt(var + eps)}:
 *
 * <pre>w'[c, ...] = w[c, ...] * k[c]      b'[c] = (b[c] - mean[c]) * k[c] + beta[c]</pre>
 *
 * @param weight folded weight, same layout as the input weight ([out, ...])
 * @param bias folded bias [out]
 */
public record BatchNormFold(float[] weight, float[] bias) {

  /**
   * Folds batch-norm statistics into a weight whose first dimension is the output channel.
   *
   * @param weight [out, ...] row-major
   * @param bias [out], or null for a layer without bias
   * @throws IllegalArgumentException if the lengths disagree
   */
  public static BatchNormFold fold(
      float[] weight, float[] bias, float[] gamma, float[] beta, float[] mean, float[] var, float epsilon) {
    int out = gamma.length;
    if (beta.length != out || mean.length != out || var.length != out || (bias != null && bias.length != out)) {
      throw new IllegalArgumentException("batch-norm parameters must all have length " + out);
    }
    if (weight.length % out != 0) {
      throw new IllegalArgumentException("weight length " + weight.length + " is not a multiple of " + out + " channels");
    }
    int per = weight.length / out;
    float[] w = new float[weight.length];
    float[] b = new float[out];
    for (int c = 0; c < out; c++) {
      // double keeps the fold exact to float rounding
      double k = gamma[c] / Math.sqrt((double) var[c] + epsilon);
      for (int j = 0; j < per; j++) {
        w[c * per + j] = (float) (weight[c * per + j] * k);
      }
      double b0 = bias == null ? 0 : bias[c];
      b[c] = (float) ((b0 - mean[c]) * k + beta[c]);
    }
    return new BatchNormFold(w, b);
  }
}
