package dev.osprey.model.plan;

import dev.osprey.model.quant.QuantizationConfig;
import java.util.Set;

/**
 * One way to run the same fp32 graph: which layers run in int8 and which ORT session options suit
 * it. Built from the version's fp32 ONNX; the candidates mirror what TensorRT's builder weighs per
 * layer.
 *
 * @param name file-safe identifier ({@code fp32}, {@code int8}, {@code int8-mixed}, {@code int8-matmul})
 * @param quantization how the graph is quantized, or null for the fp32 graph itself
 * @param disabledOptimizers ORT transformers switched off for this plan
 * @param description one line for logs and docs
 */
public record PrecisionPlan(String name, QuantizationConfig quantization, Set<String> disabledOptimizers,
    String description) {
  /** The fp32 graph. */
  public static final String FP32 = "fp32";
  /** Every Conv/Gemm/MatMul in QDQ int8: the TensorRT form, kept for GPU hosts. */
  public static final String INT8 = "int8";
  /** int8 except the layers measured to lose on this host. */
  public static final String INT8_MIXED = "int8-mixed";
  /** Only Gemm/MatMul in int8; convolutions stay fp32. */
  public static final String INT8_MATMUL = "int8-matmul";

  /** ORT moves a QuantizeLinear above a max-pool; with a layer kept in fp32 that undoes the plan. */
  static final String QDQ_PROPAGATION = "QDQPropagationTransformer";

  public PrecisionPlan {
    if (name == null || !name.matches("[a-z0-9-]+")) {
      throw new IllegalArgumentException("plan name must match [a-z0-9-]+, got " + name);
    }
    disabledOptimizers = Set.copyOf(disabledOptimizers == null ? Set.of() : disabledOptimizers);
  }

  public static PrecisionPlan fp32() {
    return new PrecisionPlan(FP32, null, Set.of(), "the fp32 graph");
  }

  public static PrecisionPlan int8(QuantizationConfig base) {
    return new PrecisionPlan(INT8, base.withOpTypes(QuantizationConfig.ALL_OP_TYPES).withExcludedNodes(Set.of()), Set.of(),
        "every Conv/Gemm/MatMul in QDQ int8 (the TensorRT form)");
  }

  public static PrecisionPlan int8Matmul(QuantizationConfig base) {
    return new PrecisionPlan(INT8_MATMUL, base.withOpTypes(Set.of("Gemm", "MatMul")).withExcludedNodes(Set.of()),
        Set.of(QDQ_PROPAGATION), "Gemm/MatMul in int8, convolutions in fp32");
  }

  public static PrecisionPlan int8Mixed(QuantizationConfig base, Set<String> fp32Nodes) {
    return new PrecisionPlan(INT8_MIXED, base.withOpTypes(QuantizationConfig.ALL_OP_TYPES).withExcludedNodes(fp32Nodes),
        Set.of(QDQ_PROPAGATION), "int8 except " + (fp32Nodes.isEmpty() ? "nothing" : new java.util.TreeSet<>(fp32Nodes)) + " in fp32");
  }

  public boolean isFp32() {
    return quantization == null;
  }

  /** The ONNX file a registry version stores this plan in. */
  public String fileName() {
    return name + ".onnx";
  }
}
