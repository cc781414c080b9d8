package dev.osprey.core.event;

/**
 * Invariant checks shared by the event records' constructors. They throw
 * {@link IllegalArgumentException}, which {@link EventCodec} reports as {@code invalid-field}.
 */
final class EventChecks {
  private EventChecks() {}

  static String requireNonBlank(String value, String field) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("'" + field + "' must not be blank");
    }
    return value;
  }

  /** The provenance every model-derived event carries: a registry name and a version >= 1. */
  static void requireModel(String modelName, int modelVersion) {
    requireNonBlank(modelName, "modelName");
    requireAtLeast(modelVersion, 1, "modelVersion");
  }

  static void requireAtLeast(long value, long min, String field) {
    if (value < min) {
      throw new IllegalArgumentException("'" + field + "' must be >= " + min + ", got " + value);
    }
  }

  static void requireFinite(double value, String field) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("'" + field + "' must be finite, got " + value);
    }
  }
}
