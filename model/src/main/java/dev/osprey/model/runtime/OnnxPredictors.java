package dev.osprey.model.runtime;

import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens an ONNX model with the runtime a config asks for. {@link RuntimeKind#AUTO} tries the
 * TensorRT execution provider and, when that fails (no GPU, a CPU-only ONNX Runtime build, no
 * TensorRT libraries), falls back to the CPU with one WARN line that says why; the returned
 * predictor's {@link Predictor#activeRuntime()} tells which one runs.
 */
public final class OnnxPredictors {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxPredictors.class);

  private OnnxPredictors() {}

  /**
   * Opens {@code model}.
   *
   * @param kind AUTO, ONNX_CPU or ONNX_TENSORRT
   * @param trt TensorRT settings (used by AUTO and ONNX_TENSORRT)
   * @throws IllegalArgumentException for {@link RuntimeKind#PYTORCH} (that runtime needs the DJL block)
   * @throws PredictorException if the requested runtime cannot load the model (for AUTO: if the CPU cannot)
   */
  public static OnnxPredictor open(RuntimeKind kind, Path model, OrtConfig config, TensorRtOptions trt)
      throws PredictorException {
    switch (kind) {
      case ONNX_CPU:
        return OnnxPredictor.openCpu(model, config);
      case ONNX_TENSORRT:
        return OnnxPredictor.openTensorRt(model, config, trt);
      case AUTO:
        try {
          return OnnxPredictor.openTensorRt(model, config, trt);
        } catch (PredictorException e) {
          LOG.warn("runtime auto: TensorRT unavailable ({}), falling back to onnx-cpu", rootMessage(e));
          return OnnxPredictor.openCpu(model, config);
        }
      default:
        throw new IllegalArgumentException("runtime " + kind + " does not run ONNX files; use PyTorchPredictor");
    }
  }

  /** The innermost cause's message on one line: what a fallback log line says about why. */
  public static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null) {
      c = c.getCause();
    }
    String m = c.getMessage() == null ? c.toString() : c.getMessage();
    return m.replace('\n', ' ');
  }
}
