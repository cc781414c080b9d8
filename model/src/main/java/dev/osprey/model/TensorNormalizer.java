package dev.osprey.model;

import dev.osprey.core.event.DType;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Tensor;

/**
 * {@link InputSpec#normalize(Tensor, float[], int)} for one model, made once when the model loads:
 * a uint8 input takes only 256 values per channel, so each channel's 256 normalized values are
 * computed up front with the very expression {@code InputSpec} uses ({@code (v / scale - mean[c]) /
 * std[c]}, the same float operations in the same order, so the results are identical to the bit)
 * and a sample is normalized by table lookups instead of two divisions per pixel. Immutable;
 * thread-safe.
 */
public final class TensorNormalizer {
  private final InputSpec spec;
  private final int perChannel;
  /** [channel][pixel value] -> normalized value; null unless the input is uint8. */
  private final float[][] uint8;

  public TensorNormalizer(InputSpec spec) {
    this.spec = spec;
    this.perChannel = spec.size() / spec.mean().length;
    if (spec.dtype() == DType.UINT8) {
      uint8 = new float[spec.mean().length][256];
      for (int c = 0; c < uint8.length; c++) {
        for (int v = 0; v < 256; v++) {
          uint8[c][v] = ((float) v / spec.scale() - spec.mean()[c]) / spec.std()[c];
        }
      }
    } else {
      uint8 = null;
    }
  }

  public InputSpec spec() {
    return spec;
  }

  /**
   * Normalizes a tensor into {@code out} at {@code offset}, as {@link InputSpec#normalize(Tensor,
   * float[], int)} does (same checks, same values).
   *
   * @throws InvalidEventException if dtype or shape do not fit the model
   */
  public void normalize(Tensor t, float[] out, int offset) throws InvalidEventException {
    if (uint8 == null) {
      spec.normalize(t, out, offset);
      return;
    }
    spec.requireFits(t);
    byte[] data = t.data();
    for (int c = 0, i = 0; c < uint8.length; c++) {
      float[] table = uint8[c];
      for (int end = i + perChannel; i < end; i++) {
        out[offset + i] = table[data[i] & 0xFF];
      }
    }
  }
}
