package dev.osprey.model.serving;

import dev.osprey.model.plan.PrecisionPlan;
import dev.osprey.model.runtime.RuntimeKind;
import dev.osprey.model.runtime.TensorRtOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * How a service runs the models it serves: each service (inference, explain, ...) chooses its own
 * runtime and precision. Validated at construction (every message names the field and the value).
 *
 * @param runtime which engine runs the model
 * @param precision which precision plan of a version to serve: {@code auto} (the default: the plan the
 *     version records as fastest within the accuracy bound on this host, measured at load on a host
 *     it has no figures for; the full QDQ int8 graph on TensorRT; a version without plans serves
 *     its int8 graph, else its fp32 graph), {@code int8} (the full QDQ graph, its fp32 graph when
 *     it has none), {@code fp32}, or a plan name ({@code int8-mixed}, {@code int8-matmul}); see
 *     {@link dev.osprey.model.plan.PlanSelection}
 * @param intraOpThreads ONNX Runtime threads inside one operator, >= 1
 * @param interOpThreads ONNX Runtime threads across operators, >= 1
 * @param tensorRt TensorRT execution provider settings (runtimes auto and onnx-tensorrt); the
 *     engine cache directory gets one subdirectory per model version
 * @param warmupBatches batches run on a freshly loaded model before it serves, >= 0; they
 *     alternate between 1 sample and {@code warmupBatchSize} samples
 * @param warmupBatchSize the large warm-up batch, >= 1 (the service's largest batch)
 */
public record ServingOptions(
    RuntimeKind runtime,
    String precision,
    int intraOpThreads,
    int interOpThreads,
    TensorRtOptions tensorRt,
    int warmupBatches,
    int warmupBatchSize) {

  public static final String PRECISION_AUTO = "auto";
  public static final String PRECISION_INT8 = "int8";
  public static final String PRECISION_FP32 = "fp32";
  /** Every value {@code precision} takes: auto and the names of the plans the packager builds. */
  public static final List<String> PRECISIONS = List.of(PRECISION_AUTO, PRECISION_FP32, PRECISION_INT8,
      PrecisionPlan.INT8_MATMUL, PrecisionPlan.INT8_MIXED);

  /** @throws IllegalArgumentException naming the field and value when one is invalid */
  public ServingOptions {
    if (runtime == null) {
      throw new IllegalArgumentException("runtime must be one of auto, onnx-cpu, onnx-tensorrt, pytorch, got null");
    }
    if (!PRECISIONS.contains(precision)) {
      throw new IllegalArgumentException("precision must be one of " + String.join(", ", PRECISIONS) + ", got '"
          + precision + "'");
    }
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
    }
    if (interOpThreads < 1) {
      throw new IllegalArgumentException("interOpThreads must be >= 1, got " + interOpThreads);
    }
    if (tensorRt == null) {
      throw new IllegalArgumentException("tensorRt must be set (it is only used by runtimes auto and onnx-tensorrt)");
    }
    if (warmupBatches < 0) {
      throw new IllegalArgumentException("warmupBatches must be >= 0, got " + warmupBatches);
    }
    if (warmupBatchSize < 1) {
      throw new IllegalArgumentException("warmupBatchSize must be >= 1, got " + warmupBatchSize);
    }
  }

  /** ONNX Runtime on the CPU, precision auto, one thread each, three warm-up batches of 1 and {@code batchSize}. */
  public static ServingOptions cpuAuto(int batchSize, String tensorRtCacheDir) {
    return cpuInt8(batchSize, tensorRtCacheDir).withPrecision(PRECISION_AUTO);
  }

  /** ONNX Runtime on the CPU, int8, one thread each, three warm-up batches of 1 and {@code batchSize}. */
  public static ServingOptions cpuInt8(int batchSize, String tensorRtCacheDir) {
    return new ServingOptions(RuntimeKind.ONNX_CPU, PRECISION_INT8, 1, 1, TensorRtOptions.int8(tensorRtCacheDir), 3,
        batchSize);
  }

  /** @throws IllegalArgumentException if {@code value} is not one of {@link #PRECISIONS} */
  public ServingOptions withPrecision(String value) {
    return new ServingOptions(runtime, value, intraOpThreads, interOpThreads, tensorRt, warmupBatches, warmupBatchSize);
  }

  public ServingOptions withRuntime(RuntimeKind kind) {
    return new ServingOptions(kind, precision, intraOpThreads, interOpThreads, tensorRt, warmupBatches, warmupBatchSize);
  }

  /**
   * TensorRT settings for one model version: its own engine cache directory under
   * {@code tensorRt.engineCacheDir}, so engines built for different versions never mix.
   */
  public TensorRtOptions tensorRtFor(String model, int version) {
    TensorRtOptions t = tensorRt;
    String dir = t.engineCache() ? Path.of(t.engineCacheDir(), model + "-" + version).toString() : t.engineCacheDir();
    return new TensorRtOptions(t.deviceId(), t.int8(), t.fp16(), t.engineCache(), dir, t.maxWorkspaceBytes());
  }
}
