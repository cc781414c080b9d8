package dev.osprey.core.data;

import java.util.Arrays;

/**
 * Labeled greyscale images held in memory as unsigned bytes (0..255), row-major, one image after
 * another. Immutable; slices share nothing with the original.
 *
 * @param name e.g. "mnist:test"
 * @param rows image height
 * @param cols image width
 * @param pixels count * rows * cols bytes
 * @param labels class index per image
 * @param classes number of classes
 */
public record ImageDataset(String name, int rows, int cols, byte[] pixels, int[] labels, int classes) {

  public ImageDataset {
    if (pixels.length != (long) labels.length * rows * cols) {
      throw new IllegalArgumentException(
          name + ": " + pixels.length + " pixel bytes do not match " + labels.length + " x " + rows + " x " + cols);
    }
  }

  public int size() {
    return labels.length;
  }

  public int imageSize() {
    return rows * cols;
  }

  /** A copy of image {@code i}'s bytes. */
  public byte[] image(int i) {
    int n = imageSize();
    return Arrays.copyOfRange(pixels, i * n, (i + 1) * n);
  }

  /** Image {@code i} scaled to [0, 1] floats. */
  public float[] imageAsFloats(int i) {
    int n = imageSize();
    float[] out = new float[n];
    for (int k = 0; k < n; k++) {
      out[k] = (pixels[i * n + k] & 0xFF) / 255f;
    }
    return out;
  }

  public int label(int i) {
    return labels[i];
  }

  /** Images {@code [from, to)} as a new dataset. */
  public ImageDataset slice(int from, int to) {
    if (from < 0 || to > size() || from > to) {
      throw new IllegalArgumentException("slice [" + from + ", " + to + ") outside 0.." + size());
    }
    int n = imageSize();
    return new ImageDataset(
        name + "[" + from + ":" + to + "]",
        rows,
        cols,
        Arrays.copyOfRange(pixels, from * n, to * n),
        Arrays.copyOfRange(labels, from, to),
        classes);
  }
}
