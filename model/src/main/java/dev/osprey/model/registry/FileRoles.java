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
  /**
   * The input-summary reference of the drift monitor (core's {@code InputSummaryReference} as
   * JSON): summaries of the held-out reference inputs, which the input-summary detector compares with.
   */
  public static final String INPUT_SUMMARIES = "input-summaries";
  /**
   * The CBPE calibration map ({@link CalibrationMap} as JSON): confidence -> probability of being
   * right, fit on the labelled reference data; the monitor's estimated accuracy applies it.
   */
  public static final String CBPE_CALIBRATION = "cbpe-calibration";

  private FileRoles() {}
}
