package dev.osprey.model.quant;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.osprey.model.onnx.OnnxNodes;
import dev.osprey.model.onnx.OnnxTensors;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Static int8 post-training quantization of any ONNX graph made of Conv / Gemm / MatMul and the
 * usual activations, in the QDQ format TensorRT and ONNX Runtime both understand:
 *
 * <ul>
 *   <li>every activation input of a Conv/Gemm/MatMul (and, by default, every Conv output) gets a
 *       QuantizeLinear -> DequantizeLinear pair, symmetric int8, zero point 0, one scale per tensor
 *       calibrated on real samples ({@link CalibrationMethod});
 *   <li>weights become int8 initializers with per-channel scales (axis 0 for Conv and for Gemm
 *       with transB = 1, the output axis otherwise) behind a DequantizeLinear;
 *   <li>biases become int32 with scale {@code s_in * s_w[c]} behind a DequantizeLinear, the form
 *       ORT needs to fuse a node group into QLinearConv / QGemm.
 * </ul>
 *
 * Calibration runs the fp32 graph in ONNX Runtime with the activation tensors exposed as extra
 * outputs: a first pass finds each tensor's max |x|, a second builds |x| histograms (percentile
 * and entropy only). Stateless; safe to share.
 */
public final class QdqQuantizer {
  private static final int MIN_OPSET = 13; // per-axis DequantizeLinear

  private final QuantizationConfig config;

  public QdqQuantizer(QuantizationConfig config) {
    this.config = config;
  }

  /** The activation scale chosen for each quantized tensor, plus the model. */
  public record Result(ModelProto model, Map<String, Float> activationScales) {}

  /**
   * Calibrates on {@code samples} and returns the quantized model.
   *
   * @param model fp32 model with one float input whose non-batch dimensions are fixed
   * @param samples {@code count} normalized samples, row-major
   * @param progress called with the number of samples processed so far (both passes count)
   * @throws IllegalArgumentException if the model has nothing to quantize or the samples do not fit
   * @throws OrtException if ONNX Runtime cannot run the calibration graph
   */
  public Result quantize(ModelProto model, float[] samples, int count, IntConsumer progress) throws OrtException {
    GraphProto g = model.getGraph();
    Map<String, TensorProto> inits = new LinkedHashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      inits.put(t.getName(), t);
    }
    Set<String> graphOutputs = new HashSet<>();
    g.getOutputList().forEach(o -> graphOutputs.add(o.getName()));

    // 1. which activation tensors get a QDQ pair
    Set<String> activations = new LinkedHashSet<>();
    for (NodeProto n : g.getNodeList()) {
      if (!config.quantizes(n.getOpType(), n.getName())) {
        continue;
      }
      int dataInputs = n.getOpType().equals("MatMul") ? 2 : n.getOpType().equals("Gemm") ? 2 : 1;
      for (int i = 0; i < Math.min(dataInputs, n.getInputCount()); i++) {
        if (!inits.containsKey(n.getInput(i))) {
          activations.add(n.getInput(i));
        }
      }
      if (config.quantizeOutputs() && !graphOutputs.contains(n.getOutput(0))) {
        activations.add(n.getOutput(0));
      }
    }
    if (activations.isEmpty()) {
      throw new IllegalArgumentException("model has no Conv, Gemm or MatMul node with an activation input to quantize");
    }

    // 2. calibrate
    Map<String, Float> thresholds = calibrate(model, activations, samples, count, progress);
    Map<String, Float> scales = new LinkedHashMap<>();
    thresholds.forEach((k, v) -> scales.put(k, SymmetricScales.scale(v)));

    // 3. rewrite
    return new Result(rewrite(model, inits, activations, scales, graphOutputs), scales);
  }

  private ModelProto rewrite(ModelProto model, Map<String, TensorProto> inits, Set<String> activations,
      Map<String, Float> scales, Set<String> graphOutputs) {
    GraphProto g = model.getGraph();
    Map<String, Integer> uses = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      n.getInputList().forEach(in -> uses.merge(in, 1, Integer::sum));
    }
    GraphProto.Builder out = g.toBuilder().clearNode().clearInitializer();
    Set<String> removedInits = new HashSet<>();
    List<TensorProto> newInits = new ArrayList<>();
    Map<String, String> dequantizedWeights = new HashMap<>();

    // QDQ pairs for graph inputs go first
    Set<String> graphInputs = new HashSet<>();
    g.getInputList().forEach(v -> graphInputs.add(v.getName()));
    for (String a : activations) {
      if (graphInputs.contains(a)) {
        addActivationQdq(out, newInits, a, scales.get(a));
      }
    }
    for (NodeProto n : g.getNodeList()) {
      NodeProto.Builder nb = n.toBuilder();
      // consumers read the dequantized activation
      for (int i = 0; i < nb.getInputCount(); i++) {
        if (activations.contains(nb.getInput(i))) {
          nb.setInput(i, dq(nb.getInput(i)));
        }
      }
      if (config.quantizes(n.getOpType(), n.getName()) && n.getInputCount() >= 2 && isFloat(inits.get(n.getInput(1)))
          && activations.contains(n.getInput(0))) {
        String wName = n.getInput(1);
        int axis = weightAxis(n, inits.get(wName));
        float[] wScales = SymmetricScales.perChannel(
            OnnxTensors.toFloats(inits.get(wName)), OnnxTensors.dims(inits.get(wName)), axis, config.weightQmax());
        String wDq = dequantizedWeights.get(wName);
        if (wDq == null) {
          wDq = addWeightDq(out, newInits, inits.get(wName), axis, wScales);
          dequantizedWeights.put(wName, wDq);
          if (uses.get(wName) == 1) {
            removedInits.add(wName);
          }
        }
        nb.setInput(1, wDq);
        boolean plainGemm = !n.getOpType().equals("Gemm")
            || (floatAttr(n, "alpha", 1f) == 1f && floatAttr(n, "beta", 1f) == 1f);
        if (n.getInputCount() >= 3 && isFloat(inits.get(n.getInput(2))) && plainGemm
            && OnnxTensors.dims(inits.get(n.getInput(2))).length == 1 && uses.get(n.getInput(2)) == 1) {
          String bName = n.getInput(2);
          nb.setInput(2, addBiasDq(out, newInits, inits.get(bName), scales.get(n.getInput(0)), wScales, n.getName()));
          removedInits.add(bName);
        }
      }
      out.addNode(nb);
      for (String o : n.getOutputList()) {
        if (activations.contains(o)) {
          addActivationQdq(out, newInits, o, scales.get(o));
        }
      }
    }
    for (TensorProto t : g.getInitializerList()) {
      if (!removedInits.contains(t.getName())) {
        out.addInitializer(t);
      }
    }
    out.addAllInitializer(newInits);
    // old IR versions list initializers as inputs too
    List<ValueInfoProto> inputs = new ArrayList<>(out.getInputList());
    inputs.removeIf(v -> removedInits.contains(v.getName()));
    out.clearInput().addAllInput(inputs);
    // value_info of rewired tensors stays valid; drop none

    ModelProto.Builder mb = model.toBuilder().setGraph(out);
    boolean found = false;
    for (int i = 0; i < mb.getOpsetImportCount(); i++) {
      OperatorSetIdProto op = mb.getOpsetImport(i);
      if (op.getDomain().isEmpty() || op.getDomain().equals("ai.onnx")) {
        found = true;
        if (op.getVersion() < MIN_OPSET) {
          mb.setOpsetImport(i, op.toBuilder().setVersion(MIN_OPSET));
        }
      }
    }
    if (!found) {
      mb.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(MIN_OPSET));
    }
    return mb.setProducerName(model.getProducerName() + "+osprey-qdq").build();
  }

  /**
   * Axis of the output channels of a weight: 0 for Conv ([out, in, k, k]) and Gemm with
   * transB = 1 ([out, in]); the last axis for Gemm with transB = 0 and MatMul ([in, out]).
   */
  static int weightAxis(NodeProto n, TensorProto w) {
    int rank = w.getDimsCount();
    return switch (n.getOpType()) {
      case "Conv" -> 0;
      case "Gemm" -> OnnxNodes.intAttribute(n, "transB", 0) == 1 ? 0 : 1;
      default -> rank - 1;
    };
  }

  private static float floatAttr(NodeProto n, String name, float fallback) {
    for (var a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getF();
      }
    }
    return fallback;
  }

  private static boolean isFloat(TensorProto t) {
    return t != null && t.getDataType() == TensorProto.DataType.FLOAT.getNumber();
  }

  private static String dq(String tensor) {
    return tensor + "_dequantized";
  }

  private static void addActivationQdq(GraphProto.Builder out, List<TensorProto> inits, String t, float scale) {
    String s = t + "_scale";
    String zp = t + "_zero_point";
    inits.add(OnnxTensors.floatScalar(s, scale));
    inits.add(OnnxTensors.int8Scalar(zp, (byte) 0));
    out.addNode(OnnxNodes.node("QuantizeLinear", t + "_QuantizeLinear", List.of(t, s, zp), List.of(t + "_quantized")));
    out.addNode(OnnxNodes.node("DequantizeLinear", t + "_DequantizeLinear", List.of(t + "_quantized", s, zp), List.of(dq(t))));
  }

  private static String addWeightDq(GraphProto.Builder out, List<TensorProto> inits, TensorProto w, int axis, float[] scales) {
    String name = w.getName();
    long[] dims = OnnxTensors.dims(w);
    byte[] q = SymmetricScales.quantizePerChannel(OnnxTensors.toFloats(w), dims, axis, scales);
    inits.add(OnnxTensors.int8s(name + "_quantized", dims, q));
    inits.add(OnnxTensors.floats(name + "_scale", new long[] {scales.length}, scales));
    inits.add(OnnxTensors.int8s(name + "_zero_point", new long[] {scales.length}, new byte[scales.length]));
    out.addNode(OnnxNodes.node("DequantizeLinear", name + "_DequantizeLinear",
            List.of(name + "_quantized", name + "_scale", name + "_zero_point"), List.of(dq(name)))
        .addAttribute(OnnxNodes.intAttr("axis", axis)));
    return dq(name);
  }

  private static String addBiasDq(GraphProto.Builder out, List<TensorProto> inits, TensorProto b, float inputScale,
      float[] wScales, String node) {
    String name = b.getName();
    float[] bias = OnnxTensors.toFloats(b);
    if (bias.length != wScales.length) {
      throw new IllegalArgumentException("bias " + name + " of node " + node + " has " + bias.length
          + " values for " + wScales.length + " output channels");
    }
    float[] s = new float[bias.length];
    int[] q = new int[bias.length];
    for (int c = 0; c < bias.length; c++) {
      s[c] = inputScale * wScales[c];
      q[c] = (int) Math.max(Integer.MIN_VALUE + 1L, Math.min(Integer.MAX_VALUE, Math.rint(bias[c] / (double) s[c])));
    }
    inits.add(OnnxTensors.int32s(name + "_quantized", new long[] {q.length}, q));
    inits.add(OnnxTensors.floats(name + "_scale", new long[] {s.length}, s));
    inits.add(OnnxTensors.int32s(name + "_zero_point", new long[] {q.length}, new int[q.length]));
    out.addNode(OnnxNodes.node("DequantizeLinear", name + "_DequantizeLinear",
            List.of(name + "_quantized", name + "_scale", name + "_zero_point"), List.of(dq(name)))
        .addAttribute(OnnxNodes.intAttr("axis", 0)));
    return dq(name);
  }

  /** Threshold per activation tensor. */
  private Map<String, Float> calibrate(
      ModelProto model, Set<String> activations, float[] samples, int count, IntConsumer progress) throws OrtException {
    // calibration copy: every activation that is not a graph input becomes an extra output
    GraphProto g = model.getGraph();
    Set<String> outputs = new HashSet<>();
    g.getOutputList().forEach(o -> outputs.add(o.getName()));
    Set<String> inputs = new HashSet<>();
    g.getInputList().forEach(o -> inputs.add(o.getName()));
    GraphProto.Builder cg = g.toBuilder();
    for (String a : activations) {
      if (!outputs.contains(a) && !inputs.contains(a)) {
        cg.addOutput(OnnxNodes.floatTensorAnyShape(a));
      }
    }
    byte[] calibrationModel = model.toBuilder().setGraph(cg).build().toByteArray();

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())));
      // fusions could hide the tensors we read; basic optimizations keep them
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT);
      try (OrtSession session = env.createSession(calibrationModel, opts)) {
        if (session.getInputInfo().size() != 1) {
          throw new IllegalArgumentException("model must have exactly one input, has " + session.getInputNames());
        }
        String inputName = session.getInputNames().iterator().next();
        long[] shape = ((TensorInfo) session.getInputInfo().get(inputName).getInfo()).getShape();
        int sampleSize = 1;
        for (int i = 1; i < shape.length; i++) {
          if (shape[i] <= 0) {
            throw new IllegalArgumentException("input " + inputName + " has a dynamic non-batch dimension");
          }
          sampleSize *= (int) shape[i];
        }
        if (count < 1 || samples.length != count * sampleSize) {
          throw new IllegalArgumentException(
              samples.length + " calibration floats are not " + count + " samples of " + sampleSize);
        }
        boolean histograms = config.method() != CalibrationMethod.MINMAX;
        Map<String, Float> absMax = new LinkedHashMap<>();
        for (String a : activations) {
          absMax.put(a, 0f);
        }
        runPass(env, session, inputName, shape, sampleSize, samples, count, activations,
            (name, data) -> absMax.merge(name, SymmetricScales.absMax(data), Math::max), progress, 0);
        if (!histograms) {
          return absMax;
        }
        Map<String, AbsHistogram> hist = new LinkedHashMap<>();
        absMax.forEach((k, v) -> hist.put(k, new AbsHistogram(v, config.histogramBins())));
        runPass(env, session, inputName, shape, sampleSize, samples, count, activations,
            (name, data) -> hist.get(name).add(data, 0, data.length), progress, count);
        Map<String, Float> thresholds = new LinkedHashMap<>();
        hist.forEach((k, h) -> thresholds.put(k, config.method() == CalibrationMethod.PERCENTILE
            ? h.percentileThreshold(config.percentile())
            // KL alone collapses onto spikes (see CalibrationMethod.ENTROPY): floor it at the percentile
            : Math.max(h.entropyThreshold(), h.percentileThreshold(config.percentile()))));
        return thresholds;
      }
    }
  }

  private interface TensorSink {
    void accept(String name, float[] data);
  }

  private void runPass(OrtEnvironment env, OrtSession session, String inputName, long[] inputShape, int sampleSize,
      float[] samples, int count, Set<String> activations, TensorSink sink, IntConsumer progress, int progressOffset)
      throws OrtException {
    Set<String> fetch = new LinkedHashSet<>(activations);
    fetch.remove(inputName);
    for (int from = 0; from < count; from += config.batchSize()) {
      int n = Math.min(config.batchSize(), count - from);
      float[] batch = java.util.Arrays.copyOfRange(samples, from * sampleSize, (from + n) * sampleSize);
      if (activations.contains(inputName)) {
        sink.accept(inputName, batch);
      }
      long[] shape = inputShape.clone();
      shape[0] = n;
      try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(batch), shape);
          OrtSession.Result r = session.run(Map.of(inputName, in), fetch)) {
        for (String name : fetch) {
          OnnxValue v = r.get(name).orElseThrow();
          FloatBuffer fb = ((OnnxTensor) v).getFloatBuffer();
          float[] data = new float[fb.remaining()];
          fb.get(data);
          sink.accept(name, data);
        }
      }
      progress.accept(progressOffset + from + n);
    }
  }
}
