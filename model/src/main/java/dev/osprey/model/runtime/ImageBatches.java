package dev.osprey.model.runtime;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import java.util.Arrays;
import java.util.Random;

/**
 * Turns dataset images into the normalized float batches a {@link Predictor} or a training step
 * takes, optionally augmented (for training): a random shift of up to {@code jitter} pixels in each
 * direction (background-filled) and gaussian noise of std {@code noiseStd} on the normalized values.
 */
public final class ImageBatches {
  private final ImageDataset data;
  private final InputSpec input;

  /** @throws IllegalArgumentException if the dataset's images do not fit the input spec */
  public ImageBatches(ImageDataset data, InputSpec input) {
    if (input.size() != data.imageSize()) {
      throw new IllegalArgumentException(
          "images of " + data.name() + " have " + data.imageSize() + " pixels, they do not fit input shape " + input.shape());
    }
    this.data = data;
    this.input = input;
  }

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
    return new ImageBatches(data, input).range(from, count);
  }

  /** Labels {@code [from, from + count)}. */
  public static int[] labels(ImageDataset data, int from, int count) {
    return Arrays.copyOfRange(data.labels(), from, from + count);
  }

  public ImageDataset data() {
    return data;
  }

  /** Normalized images {@code [from, from + count)} in dataset order. */
  public float[] range(int from, int count) {
    int[] indices = new int[count];
    for (int i = 0; i < count; i++) {
      indices[i] = from + i;
    }
    return batch(indices, 0, count);
  }

  /** Normalized, un-augmented images {@code indices[from, to)}. */
  public float[] batch(int[] indices, int from, int to) {
    return batch(indices, from, to, 0, 0f, null);
  }

  /** Normalized images {@code indices[from, to)}, augmented with {@code rng} when jitter or noise is on. */
  public float[] batch(int[] indices, int from, int to, int jitter, float noiseStd, Random rng) {
    int size = data.imageSize();
    int rows = data.rows();
    int cols = data.cols();
    float[] out = new float[(to - from) * size];
    float[] raw = new float[size];
    byte[] pixels = data.pixels();
    for (int b = from; b < to; b++) {
      int base = indices[b] * size;
      int dy = jitter > 0 ? rng.nextInt(2 * jitter + 1) - jitter : 0;
      int dx = jitter > 0 ? rng.nextInt(2 * jitter + 1) - jitter : 0;
      for (int r = 0; r < rows; r++) {
        int sr = r - dy;
        for (int c = 0; c < cols; c++) {
          int sc = c - dx;
          raw[r * cols + c] = sr >= 0 && sr < rows && sc >= 0 && sc < cols ? pixels[base + sr * cols + sc] & 0xFF : 0f;
        }
      }
      int offset = (b - from) * size;
      input.normalize(raw, out, offset);
      if (noiseStd > 0) {
        for (int i = 0; i < size; i++) {
          out[offset + i] += (float) (rng.nextGaussian() * noiseStd);
        }
      }
    }
    return out;
  }

  /** Labels of {@code indices[from, to)}. */
  public int[] labels(int[] indices, int from, int to) {
    int[] out = new int[to - from];
    for (int b = from; b < to; b++) {
      out[b - from] = data.label(indices[b]);
    }
    return out;
  }

  /** 0..n-1. */
  public static int[] range(int n) {
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    return idx;
  }

  /** Fisher-Yates shuffle in place. */
  public static void shuffle(int[] a, Random rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
