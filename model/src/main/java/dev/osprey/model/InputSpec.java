package dev.osprey.model;

import dev.osprey.core.event.DType;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Tensor;
import java.util.List;

/**
 * What a model accepts and how raw input becomes the float tensor the network sees. Normalization
 * belongs to the model (it was trained with it), so it is declared here and stored in the
 * manifest: {@code x = (value / scale - mean[c]) / std[c]} per channel c.
 *
 * @param dtype element type accepted on the wire (uint8 pixels or float32)
 * @param shape per-sample shape without the batch dimension, e.g. [1, 28, 28]
 * @param scale divisor applied first (255 for uint8 pixels, 1 for floats already in range)
 * @param mean per-channel mean after scaling
 * @param std per-channel standard deviation after scaling
 */
public record InputSpec(DType dtype, List<Integer> shape, float scale, float[] mean, float[] std) {

  /** MNIST-style greyscale 28x28 digits with the usual MNIST mean/std. */
  public static InputSpec mnist() {
    return DatasetSchema.of("mnist", 28, 28, 10).input();
  }

  public InputSpec {
    shape = List.copyOf(shape);
    if (mean.length != std.length || mean.length == 0) {
      throw new IllegalArgumentException("mean and std must have the same non-zero length");
    }
  }

  /** Elements per sample. */
  public int size() {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  /** Number of channels (first dimension for rank >= 3, else 1). */
  public int channels() {
    return shape.size() >= 3 ? shape.get(0) : 1;
  }

  /**
   * Normalizes a tensor into {@code out} at {@code offset}.
   *
   * @throws InvalidEventException if dtype or shape do not fit this model
   */
  public void normalize(Tensor t, float[] out, int offset) throws InvalidEventException {
    requireFits(t);
    // Straight from the wire bytes into the batch: no float[] per sample (the same arithmetic as
    // normalize(float[], ...), so the results are identical to the bit).
    byte[] data = t.data();
    int n = size();
    int perChannel = n / mean.length;
    if (dtype == DType.UINT8) {
      for (int i = 0; i < n; i++) {
        int c = i / perChannel;
        out[offset + i] = ((float) (data[i] & 0xFF) / scale - mean[c]) / std[c];
      }
    } else {
      java.nio.FloatBuffer values = java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      for (int i = 0; i < n; i++) {
        int c = i / perChannel;
        out[offset + i] = (values.get(i) / scale - mean[c]) / std[c];
      }
    }
  }

  /**
   * Checks a tensor fits this input: its dtype, and its shape (with or without a leading batch
   * dimension of 1).
   *
   * @throws InvalidEventException ({@code INCOMPATIBLE_INPUT}) if not
   */
  public void requireFits(Tensor t) throws InvalidEventException {
    if (t.dtype() != dtype) {
      throw new InvalidEventException(
          RejectReason.INCOMPATIBLE_INPUT, "model expects " + dtype.wireName() + ", got " + t.dtype().wireName());
    }
    if (!t.shape().equals(shape) && !(t.shape().size() == shape.size() + 1 && t.shape().get(0) == 1
        && t.shape().subList(1, t.shape().size()).equals(shape))) {
      throw new InvalidEventException(
          RejectReason.INCOMPATIBLE_INPUT, "model expects shape " + shape + ", got " + t.shape());
    }
  }

  /** Normalizes raw values (unscaled, e.g. 0..255 pixels) into {@code out} at {@code offset}. */
  public void normalize(float[] raw, float[] out, int offset) {
    int n = size();
    int perChannel = n / mean.length;
    for (int i = 0; i < n; i++) {
      int c = i / perChannel;
      out[offset + i] = (raw[i] / scale - mean[c]) / std[c];
    }
  }
}
