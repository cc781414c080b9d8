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

  /** Most dimensions a sample tensor may declare; images and feature vectors need 1 to 4. */
  public static final int MAX_RANK = 8;

  /** Semantic checks on an already decoded sample. */
  public static void check(Sample s) throws InvalidEventException {
    SampleIds.check("id", s.id());
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
    if (t.shape().size() > MAX_RANK) {
      throw new InvalidEventException(
          RejectReason.SHAPE_MISMATCH, field + ".shape has " + t.shape().size() + " dimensions, limit is " + MAX_RANK);
    }
    for (int d : t.shape()) {
      // No dimension can exceed the element count the data could hold: rejects absurd shapes
      // before any product is formed.
      if (d > t.data().length) {
        throw new InvalidEventException(RejectReason.SHAPE_MISMATCH,
            field + ".shape " + t.shape() + " has dimension " + d + " larger than the " + t.data().length + " data bytes");
      }
    }
    long n = t.elementCount();
    if (n <= 0) {
      throw new InvalidEventException(
          RejectReason.SHAPE_MISMATCH, field + ".shape " + t.shape() + " has no elements or overflows");
    }
    long expected;
    try {
      expected = Math.multiplyExact(n, (long) t.dtype().bytes());
    } catch (ArithmeticException overflow) {
      throw new InvalidEventException(RejectReason.SHAPE_MISMATCH, field + ".shape " + t.shape() + " overflows");
    }
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
