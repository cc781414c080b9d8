package dev.osprey.model.runtime;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;

/** Turns dataset images into the normalized float batches a {@link Predictor} takes. */
public final class ImageBatches {
  private ImageBatches() {}

  /**
   * Images {@code [from, from + count)} normalized with {@code input}, row-major.
   *
   * @throws IllegalArgumentException if the range is outside the dataset or the image size does
   *     not match the input spec
   */
  public static float[] normalize(ImageDataset data, InputSpec input, int from, int count) {
    if (from < 0 || count < 0 || from + count > data.size()) {
      throw new IllegalArgumentException("range [" + from + ", " + (from + count) + ") outside 0.." + data.size());
    }
    int n = data.imageSize();
    if (n != input.size()) {
      throw new IllegalArgumentException("images of " + n + " pixels do not fit input shape " + input.shape());
    }
    float[] out = new float[count * n];
    float[] raw = new float[n];
    byte[] px = data.pixels();
    for (int i = 0; i < count; i++) {
      int base = (from + i) * n;
      for (int k = 0; k < n; k++) {
        raw[k] = px[base + k] & 0xFF;
      }
      input.normalize(raw, out, i * n);
    }
    return out;
  }

  /** Labels {@code [from, from + count)}. */
  public static int[] labels(ImageDataset data, int from, int count) {
    return java.util.Arrays.copyOfRange(data.labels(), from, from + count);
  }
}
