package dev.osprey.core.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Element type of a {@link Tensor}; values are stored little-endian. */
public enum DType {
  UINT8(1),
  FLOAT32(4);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses the wire name ({@code uint8}, {@code float32}).
   *
   * @throws IllegalArgumentException for any other name
   */
  @JsonCreator
  public static DType fromWire(String name) {
    for (DType t : values()) {
      if (t.wireName().equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown dtype '" + name + "' (expected uint8 or float32)");
  }
}
