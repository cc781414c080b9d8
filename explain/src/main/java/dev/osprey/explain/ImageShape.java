package dev.osprey.explain;

import java.util.List;

/**
 * The per-sample shape of an image input, channels first, as every explainer sees it: one sample
 * is {@code channels * height * width} normalized floats, row-major.
 */
public record ImageShape(int channels, int height, int width) {

  public ImageShape {
    if (channels < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException("image shape must be positive, got " + channels + "x" + height + "x" + width);
    }
  }

  /**
   * From a model's per-sample shape: [C, H, W], [H, W] or [N] (a flat vector is 1 x 1 x N).
   *
   * @throws IllegalArgumentException for another rank
   */
  public static ImageShape of(List<Integer> shape) {
    return switch (shape.size()) {
      case 3 -> new ImageShape(shape.get(0), shape.get(1), shape.get(2));
      case 2 -> new ImageShape(1, shape.get(0), shape.get(1));
      case 1 -> new ImageShape(1, 1, shape.get(0));
      default -> throw new IllegalArgumentException("cannot explain input of shape " + shape);
    };
  }

  /** Floats per sample. */
  public int size() {
    return channels * height * width;
  }

  /** Pixels per channel. */
  public int plane() {
    return height * width;
  }

  /** As a list [C, H, W]. */
  public List<Integer> toList() {
    return List.of(channels, height, width);
  }

  /**
   * Checks one sample's length.
   *
   * @throws IllegalArgumentException if it is not {@link #size()}
   */
  public void check(float[] sample) {
    if (sample.length != size()) {
      throw new IllegalArgumentException("sample of " + sample.length + " floats does not fit shape " + this);
    }
  }

  @Override
  public String toString() {
    return channels + "x" + height + "x" + width;
  }
}
