package dev.osprey.trainer;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import java.util.Random;

/**
 * Builds normalized float batches from an {@link ImageDataset}, optionally augmented: a random
 * shift of up to {@code jitter} pixels in each direction (background-filled) and gaussian noise
 * of std {@code noiseStd} on the normalized values.
 */
public final class ImageBatches {
  private final ImageDataset data;
  private final InputSpec input;

  public ImageBatches(ImageDataset data, InputSpec input) {
    if (input.size() != data.imageSize()) {
      throw new IllegalArgumentException(
          "input spec size " + input.size() + " does not match " + data.name() + " image size " + data.imageSize());
    }
    this.data = data;
    this.input = input;
  }

  public ImageDataset data() {
    return data;
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
