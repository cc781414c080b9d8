package dev.osprey.model.registry;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A model name with an optional version, written {@code name:version} or just {@code name} (the
 * latest version). Serialized as that string.
 *
 * @param name model name
 * @param version positive version, or null for "latest"
 */
public record ModelRef(String name, Integer version) {

  /** @throws IllegalArgumentException for an invalid name or a version below 1 */
  public ModelRef {
    ModelNames.requireModelName("name", name);
    if (version != null && version < 1) {
      throw new IllegalArgumentException("version must be >= 1, got " + version);
    }
  }

  public static ModelRef of(String name, int version) {
    return new ModelRef(name, version);
  }

  /**
   * Parses {@code name} or {@code name:version}.
   *
   * @throws IllegalArgumentException when the text is not of that form
   */
  @JsonCreator
  public static ModelRef parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("model reference must not be null");
    }
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      return new ModelRef(text, null);
    }
    String v = text.substring(colon + 1);
    try {
      return new ModelRef(text.substring(0, colon), Integer.parseInt(v));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("model version must be a positive integer, got '" + v + "' in '" + text + "'");
    }
  }

  @JsonValue
  @Override
  public String toString() {
    return version == null ? name : name + ":" + version;
  }
}
