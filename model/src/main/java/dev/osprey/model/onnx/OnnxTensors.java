package dev.osprey.model.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Conversions between Java arrays and ONNX {@link TensorProto} initializers (raw little-endian data). */
public final class OnnxTensors {
  private OnnxTensors() {}

  public static TensorProto floats(String name, long[] dims, float[] values) {
    checkSize(name, dims, values.length);
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    return tensor(name, dims, TensorProto.DataType.FLOAT, buf.array());
  }

  public static TensorProto int8s(String name, long[] dims, byte[] values) {
    checkSize(name, dims, values.length);
    return tensor(name, dims, TensorProto.DataType.INT8, values);
  }

  public static TensorProto int32s(String name, long[] dims, int[] values) {
    checkSize(name, dims, values.length);
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asIntBuffer().put(values);
    return tensor(name, dims, TensorProto.DataType.INT32, buf.array());
  }

  public static TensorProto int64s(String name, long[] dims, long[] values) {
    checkSize(name, dims, values.length);
    ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    buf.asLongBuffer().put(values);
    return tensor(name, dims, TensorProto.DataType.INT64, buf.array());
  }

  /** A float scalar (rank 0), as QuantizeLinear wants for per-tensor scales. */
  public static TensorProto floatScalar(String name, float value) {
    return floats(name, new long[0], new float[] {value});
  }

  /** An int8 scalar (rank 0), the zero point of a per-tensor quantization. */
  public static TensorProto int8Scalar(String name, byte value) {
    return int8s(name, new long[0], new byte[] {value});
  }

  /**
   * The float values of an initializer, whether stored as raw data or in {@code float_data}.
   *
   * @throws IllegalArgumentException if the tensor is not float32 or is stored externally
   */
  public static float[] toFloats(TensorProto t) {
    if (t.getDataType() != TensorProto.DataType.FLOAT.getNumber()) {
      throw new IllegalArgumentException("tensor " + t.getName() + " is not float32 (data type " + t.getDataType() + ")");
    }
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      throw new IllegalArgumentException("tensor " + t.getName() + " uses external data, which is not supported");
    }
    int n = (int) elementCount(t.getDimsList());
    float[] out = new float[n];
    if (!t.getRawData().isEmpty()) {
      t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    } else {
      for (int i = 0; i < n; i++) {
        out[i] = t.getFloatData(i);
      }
    }
    return out;
  }

  public static long[] dims(TensorProto t) {
    return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  public static long elementCount(List<Long> dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }

  private static TensorProto tensor(String name, long[] dims, TensorProto.DataType type, byte[] raw) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
    for (long d : dims) {
      b.addDims(d);
    }
    return b.setRawData(ByteString.copyFrom(raw)).build();
  }

  private static void checkSize(String name, long[] dims, int length) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    if (n != length) {
      throw new IllegalArgumentException("tensor " + name + ": " + length + " values do not fit dims " + java.util.Arrays.toString(dims));
    }
  }
}
