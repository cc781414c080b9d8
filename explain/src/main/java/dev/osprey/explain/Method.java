package dev.osprey.explain;

import java.util.Arrays;
import java.util.Locale;

/** The attribution methods, with the short names used on the command line and in events. */
public enum Method {
  GRADIENT("gradient"),
  SMOOTHGRAD("smoothgrad"),
  INTEGRATED_GRADIENTS("ig"),
  GRAD_CAM("gradcam"),
  OCCLUSION("occlusion"),
  KERNEL_SHAP("shap");

  private final String wireName;

  Method(String wireName) {
    this.wireName = wireName;
  }

  /** The short name, e.g. "ig". */
  public String wireName() {
    return wireName;
  }

  /** Whether the method needs the differentiable (fp32) twin rather than the served graph. */
  public boolean needsGradients() {
    return this == GRADIENT || this == SMOOTHGRAD || this == INTEGRATED_GRADIENTS || this == GRAD_CAM;
  }

  /**
   * Parses a short name ({@code ig}) or an enum name ({@code integrated_gradients}), case-insensitive.
   *
   * @throws IllegalArgumentException naming the value and the accepted names
   */
  public static Method parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (Method m : values()) {
      if (m.wireName.equals(n) || m.name().toLowerCase(Locale.ROOT).equals(n)) {
        return m;
      }
    }
    throw new IllegalArgumentException("method '" + name + "' is not one of "
        + Arrays.stream(values()).map(Method::wireName).toList());
  }

  @Override
  public String toString() {
    return wireName;
  }
}
