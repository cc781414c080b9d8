package dev.osprey.model.quant;

import java.util.Set;

/**
 * Settings of {@link QdqQuantizer}.
 *
 * @param method how activation thresholds are calibrated
 * @param percentile the percentile of |x| used by {@link CalibrationMethod#PERCENTILE}, in (0, 100]
 * @param histogramBins bins of the |x| histogram (percentile and entropy), >= 128
 * @param batchSize calibration batch size, >= 1
 * @param quantizeOutputs also put a QDQ pair on the outputs of Conv/Gemm/MatMul that are not graph
 *     outputs; ORT fuses DQ -> Conv -> Q into QLinearConv (and a Gemm followed by an activation
 *     into QGemm) only when the output is quantized, so this is on by default
 * @param reduceRange quantize weights to 7 bits ([-63, 63]) instead of 8 ([-127, 127]); still
 *     symmetric with zero point 0. x86 CPUs without VNNI compute u8 x s8 products with a
 *     saturating 16-bit add (VPMADDUBSW), which full-range weights can overflow; ORT's own
 *     quantizer offers the same switch. TensorRT does not need it but accepts it.
 * @param opTypes which operator types get quantized (a subset of Conv, Gemm, MatMul): a plan that
 *     quantizes only the matrix products keeps convolutions in fp32
 * @param excludedNodes names of nodes kept in fp32 even when their type is quantized: the layers
 *     that lose in int8 on this host (e.g. a 1-channel first conv, a 9-element reduction)
 */
public record QuantizationConfig(
    CalibrationMethod method, double percentile, int histogramBins, int batchSize, boolean quantizeOutputs,
    boolean reduceRange, Set<String> opTypes, Set<String> excludedNodes) {
  /** Every operator type the quantizer knows. */
  public static final Set<String> ALL_OP_TYPES = Set.of("Conv", "Gemm", "MatMul");

  public QuantizationConfig {
    if (method == null) {
      throw new IllegalArgumentException("method must be set");
    }
    if (!(percentile > 0 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be in (0, 100], got " + percentile);
    }
    if (histogramBins < 128) {
      throw new IllegalArgumentException("histogramBins must be >= 128, got " + histogramBins);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
    opTypes = Set.copyOf(opTypes == null ? ALL_OP_TYPES : opTypes);
    if (opTypes.isEmpty() || !ALL_OP_TYPES.containsAll(opTypes)) {
      throw new IllegalArgumentException("opTypes must be a non-empty subset of " + ALL_OP_TYPES + ", got " + opTypes);
    }
    excludedNodes = Set.copyOf(excludedNodes == null ? Set.of() : excludedNodes);
  }

  /**
   * The method with percentile 99.99, 2048 bins, batches of 100, outputs quantized and 7-bit
   * weights: one artifact that is accurate on every CPU and still valid for TensorRT.
   */
  public static QuantizationConfig of(CalibrationMethod method) {
    return new QuantizationConfig(method, 99.99, 2048, 100, true, true, ALL_OP_TYPES, Set.of());
  }

  public QuantizationConfig withReduceRange(boolean reduce) {
    return new QuantizationConfig(method, percentile, histogramBins, batchSize, quantizeOutputs, reduce, opTypes, excludedNodes);
  }

  public QuantizationConfig withPercentile(double p) {
    return new QuantizationConfig(method, p, histogramBins, batchSize, quantizeOutputs, reduceRange, opTypes, excludedNodes);
  }

  public QuantizationConfig withOpTypes(Set<String> types) {
    return new QuantizationConfig(method, percentile, histogramBins, batchSize, quantizeOutputs, reduceRange, types, excludedNodes);
  }

  public QuantizationConfig withExcludedNodes(Set<String> nodes) {
    return new QuantizationConfig(method, percentile, histogramBins, batchSize, quantizeOutputs, reduceRange, opTypes, nodes);
  }

  /** Whether the quantizer rewrites this node. */
  public boolean quantizes(String opType, String nodeName) {
    return opTypes.contains(opType) && !excludedNodes.contains(nodeName);
  }

  /** Largest weight magnitude in quantized units: 127, or 63 with reduceRange. */
  public int weightQmax() {
    return reduceRange ? 63 : SymmetricScales.QMAX;
  }
}
