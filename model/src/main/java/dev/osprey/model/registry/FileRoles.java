package dev.osprey.model.registry;

/**
 * Well-known keys of {@link ModelManifest#files()}. The map is open: a new artifact kind is a new
 * role string, not a schema change.
 */
public final class FileRoles {
  /** The float32 ONNX graph (exported by Osprey or imported from a user). */
  public static final String FP32_ONNX = "fp32.onnx";
  /** The int8 QDQ ONNX graph produced by the quantizer. */
  public static final String INT8_ONNX = "int8.onnx";
  /** DJL block parameters, needed to fine-tune or distill from this version. */
  public static final String PARAMS = "params";

  private FileRoles() {}
}
