package dev.osprey.model.runtime;

import java.util.Locale;

/** Which engine runs a model. {@link #AUTO} tries TensorRT first and falls back to ONNX Runtime CPU. */
public enum RuntimeKind {
  AUTO("auto"),
  ONNX_CPU("onnx-cpu"),
  ONNX_TENSORRT("onnx-tensorrt"),
  PYTORCH("pytorch");

  private final String configName;

  RuntimeKind(String configName) {
    this.configName = configName;
  }

  /** The name used in config files and on the command line, e.g. "onnx-cpu". */
  public String configName() {
    return configName;
  }

  /**
   * Parses a config name such as {@code onnx-tensorrt} (case-insensitive).
   *
   * @throws IllegalArgumentException naming the value and the accepted names
   */
  public static RuntimeKind parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (RuntimeKind k : values()) {
      if (k.configName.equals(n) || k.name().toLowerCase(Locale.ROOT).equals(n)) {
        return k;
      }
    }
    throw new IllegalArgumentException("runtime '" + name + "' is not one of auto, onnx-cpu, onnx-tensorrt, pytorch");
  }

  @Override
  public String toString() {
    return configName;
  }
}
