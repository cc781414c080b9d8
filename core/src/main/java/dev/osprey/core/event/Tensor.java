package dev.osprey.core.event;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A dense tensor: element type, shape and the raw little-endian bytes (base64 in JSON).
 *
 * @param dtype element type
 * @param shape dimensions, e.g. {@code [1, 28, 28]}
 * @param data little-endian element bytes, row-major
 */
public record Tensor(DType dtype, List<Integer> shape, byte[] data) {

  public Tensor {
    shape = shape == null ? null : List.copyOf(shape);
  }

  /**
   * Number of elements the shape declares; -1 if a dimension is negative or the product overflows a
   * long (a hostile shape such as {@code [26983373, 218641, 31267408]} must not wrap around to a
   * small positive count).
   */
  public long elementCount() {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        return -1;
      }
      try {
        n = Math.multiplyExact(n, (long) d);
      } catch (ArithmeticException overflow) {
        return -1;
      }
    }
    return n;
  }

  /** Wraps unsigned bytes (e.g. grey pixels) as a uint8 tensor. */
  public static Tensor ofUint8(byte[] pixels, int... shape) {
    return new Tensor(DType.UINT8, Arrays.stream(shape).boxed().toList(), pixels.clone());
  }

  /** Encodes floats little-endian as a float32 tensor. */
  public static Tensor ofFloat32(float[] values, int... shape) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    return new Tensor(DType.FLOAT32, Arrays.stream(shape).boxed().toList(), buf.array());
  }

  /** Elements as floats (uint8 values 0..255 unscaled). */
  public float[] toFloats() {
    int n = (int) elementCount();
    float[] out = new float[n];
    if (dtype == DType.UINT8) {
      for (int i = 0; i < n; i++) {
        out[i] = data[i] & 0xFF;
      }
    } else {
      ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t
        && dtype == t.dtype
        && Objects.equals(shape, t.shape)
        && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(dtype, shape, Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "Tensor[" + dtype.wireName() + " " + shape + ", " + (data == null ? 0 : data.length) + " bytes]";
  }
}
