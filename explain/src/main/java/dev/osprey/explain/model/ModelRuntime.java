package dev.osprey.explain.model;

/**
 * Which engine and numeric precision computed an explanation, so the output says whether it
 * explains the served graph itself or its differentiable twin.
 *
 * @param runtime e.g. "onnx-cpu", "pytorch"
 * @param precision e.g. "int8", "fp32"
 */
public record ModelRuntime(String runtime, String precision) {
  public ModelRuntime {
    if (runtime == null || runtime.isBlank() || precision == null || precision.isBlank()) {
      throw new IllegalArgumentException("runtime and precision must be named");
    }
  }

  @Override
  public String toString() {
    return runtime + "/" + precision;
  }
}
