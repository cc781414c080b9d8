package dev.osprey.core.event;

import java.util.Map;

/**
 * Turns raw bytes into a valid {@link Sample} or says why not: size limit, structure (via
 * {@link EventCodec}), data length matching the shape, finite values.
 */
public final class SampleValidator {
  /** Default size limit for one serialized sample: 1 MiB. */
  public static final int DEFAULT_MAX_BYTES = 1 << 20;

  private final EventCodec codec;
  private final int maxBytes;

  /**
   * @throws IllegalArgumentException if {@code maxBytes} is not positive
   */
  public SampleValidator(EventCodec codec, int maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be > 0, got " + maxBytes);
    }
    this.codec = codec;
    this.maxBytes = maxBytes;
  }

  public Sample parse(byte[] raw) throws InvalidEventException {
    if (raw != null && raw.length > maxBytes) {
      throw new InvalidEventException(
          RejectReason.TOO_LARGE, "event is " + raw.length + " bytes, limit is " + maxBytes);
    }
    Sample s = codec.decodeSample(raw);
    check(s);
    return s;
  }

  /** Semantic checks on an already decoded sample. */
  public static void check(Sample s) throws InvalidEventException {
    checkInput(s.tensor(), s.features());
  }

  /** Checks a model input: the tensor when set, otherwise the features. */
  static void checkInput(Tensor tensor, Map<String, Double> features) throws InvalidEventException {
    if (tensor != null) {
      checkTensor(tensor, "tensor");
    } else {
      checkFeatures(features);
    }
  }

  /** Data length matches the shape, and float32 elements are finite; {@code field} names it in errors. */
  static void checkTensor(Tensor t, String field) throws InvalidEventException {
    if (t.shape().isEmpty()) {
      throw new InvalidEventException(RejectReason.SHAPE_MISMATCH, field + ".shape must not be empty");
    }
    long n = t.elementCount();
    if (n <= 0) {
      throw new InvalidEventException(RejectReason.SHAPE_MISMATCH, field + ".shape " + t.shape() + " has no elements");
    }
    long expected = n * t.dtype().bytes();
    if (t.data().length != expected) {
      throw new InvalidEventException(
          RejectReason.SHAPE_MISMATCH,
          field + ".data is " + t.data().length + " bytes but shape " + t.shape() + " of "
              + t.dtype().wireName() + " needs " + expected);
    }
    if (t.dtype() == DType.FLOAT32) {
      float[] v = t.toFloats();
      for (int i = 0; i < v.length; i++) {
        if (!Float.isFinite(v[i])) {
          throw new InvalidEventException(RejectReason.NON_FINITE, field + " element " + i + " is " + v[i]);
        }
      }
    }
  }

  private static void checkFeatures(Map<String, Double> features) throws InvalidEventException {
    if (features.isEmpty()) {
      throw new InvalidEventException(RejectReason.MISSING_FIELD, "'features' is empty");
    }
    for (var e : features.entrySet()) {
      if (e.getValue() == null || !Double.isFinite(e.getValue())) {
        throw new InvalidEventException(RejectReason.NON_FINITE, "feature '" + e.getKey() + "' is " + e.getValue());
      }
    }
  }
}
