package dev.osprey.model.plan;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtException;
import dev.osprey.model.quant.QdqQuantizer;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.PredictorException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Builds the candidate precision plans of one fp32 graph, measures each on this host (accuracy and
 * agreement on the reference set, throughput at the serving batch size) and chooses the fastest
 * within the accuracy bound — per layer where it matters: the mixed plan starts from full int8 and
 * keeps a layer in fp32 when that measures faster (a greedy pass over the quantizable nodes, the
 * way TensorRT's builder times kernels per layer).
 */
public final class PrecisionPlanner {
  /**
   * @param batchSize serving batch size the throughput is measured at
   * @param threads ORT intra-op threads (the serving default is 1)
   * @param rounds alternating measurement rounds
   * @param secondsPerRound time per plan per round
   * @param minGain a layer is kept in fp32 only if that is at least this much faster (1.03 = 3%)
   */
  public record Options(int batchSize, int threads, int rounds, double secondsPerRound, double minGain,
      double maxAccuracyDrop, double minAgreement) {
    public Options {
      if (batchSize < 1 || threads < 1 || rounds < 1 || !(secondsPerRound > 0) || !(minGain >= 1)) {
        throw new IllegalArgumentException("invalid planner options");
      }
    }

    /** Batch 64, 1 thread, 3 rounds of 0.3 s, 3% gain to keep a layer fp32, the default accuracy bound. */
    public static Options defaults() {
      return new Options(64, 1, 3, 0.3, 1.03, PlanChoice.MAX_ACCURACY_DROP, PlanChoice.MIN_AGREEMENT);
    }
  }

  /** Reference data: normalized inputs and their labels. */
  public record Reference(float[] inputs, int[] labels, int sampleSize) {
    public Reference {
      if (labels.length == 0 || inputs.length != labels.length * sampleSize) {
        throw new IllegalArgumentException(inputs.length + " floats are not " + labels.length + " samples of " + sampleSize);
      }
    }
  }

  /**
   * @param graphs ONNX bytes per plan name
   * @param plans the plans, by name
   * @param figures measured on {@code host}, one per plan
   */
  public record Result(HostProfile host, Map<String, PrecisionPlan> plans, Map<String, byte[]> graphs,
      List<PlanFigures> figures, PlanChoice choice) {}

  private final Options options;

  public PrecisionPlanner(Options options) {
    this.options = options;
  }

  public Options options() {
    return options;
  }

  /**
   * @param fp32 the version's fp32 graph
   * @param base quantizer settings every int8 plan starts from
   * @param calibration normalized calibration samples
   * @param reference accuracy, agreement and throughput are measured on it
   * @param progress one line per step
   */
  public Result plan(ModelProto fp32, QuantizationConfig base, float[] calibration, int calibrationCount,
      Reference reference, Consumer<String> progress) throws OrtException, PredictorException {
    Map<String, PrecisionPlan> plans = new LinkedHashMap<>();
    Map<String, byte[]> graphs = new LinkedHashMap<>();
    plans.put(PrecisionPlan.FP32, PrecisionPlan.fp32());
    graphs.put(PrecisionPlan.FP32, fp32.toByteArray());
    progress.accept("quantizing the full int8 plan");
    add(plans, graphs, PrecisionPlan.int8(base), fp32, calibration, calibrationCount);
    List<String> nodes = quantizableNodes(fp32);
    boolean hasConv = nodes.stream().anyMatch(n -> n.startsWith("Conv:"));
    boolean hasMatmul = nodes.stream().anyMatch(n -> !n.startsWith("Conv:"));
    if (hasConv && hasMatmul) {
      progress.accept("quantizing the Gemm/MatMul-only plan");
      add(plans, graphs, PrecisionPlan.int8Matmul(base), fp32, calibration, calibrationCount);
    }
    Set<String> kept = searchMixed(fp32, base, calibration, calibrationCount, reference,
        nodes.stream().map(n -> n.substring(n.indexOf(':') + 1)).toList(), graphs.get(PrecisionPlan.INT8), progress);
    if (!kept.isEmpty()) {
      add(plans, graphs, PrecisionPlan.int8Mixed(base, kept), fp32, calibration, calibrationCount);
    }

    progress.accept("measuring " + plans.keySet() + " side by side");
    List<PlanFigures> figures = measure(plans, graphs, reference);
    PlanChoice choice = PlanChoice.choose(figures, options.maxAccuracyDrop(), options.minAgreement());
    return new Result(HostProfile.current(), plans, graphs, figures, choice);
  }

  /** Re-measures the throughput of already built plans on this host (a host the version has no figures for). */
  public List<PlanFigures> measure(Map<String, PrecisionPlan> plans, Map<String, byte[]> graphs, Reference reference)
      throws PredictorException {
    List<OnnxPredictor> predictors = new ArrayList<>();
    try {
      for (Map.Entry<String, PrecisionPlan> p : plans.entrySet()) {
        predictors.add(open(graphs.get(p.getKey()), p.getValue()));
      }
      int[] fp32Pred = null;
      List<int[]> preds = new ArrayList<>();
      for (OnnxPredictor p : predictors) {
        preds.add(top1(p, reference));
      }
      int fp32Index = new ArrayList<>(plans.keySet()).indexOf(PrecisionPlan.FP32);
      fp32Pred = preds.get(fp32Index);
      List<ThroughputProbe.Rate> rates = probe(reference).measure(predictors);
      List<PlanFigures> out = new ArrayList<>();
      int i = 0;
      for (Map.Entry<String, PrecisionPlan> p : plans.entrySet()) {
        int[] pred = preds.get(i);
        out.add(new PlanFigures(p.getKey(), agreement(pred, reference.labels()), agreement(pred, fp32Pred),
            rates.get(i).median(), rates.get(i).min(), graphs.get(p.getKey()).length,
            p.getValue().isFp32() ? List.of() : List.copyOf(p.getValue().quantization().excludedNodes())));
        i++;
      }
      return out;
    } finally {
      predictors.forEach(OnnxPredictor::close);
    }
  }

  private Set<String> searchMixed(ModelProto fp32, QuantizationConfig base, float[] calibration, int calibrationCount,
      Reference reference, List<String> nodes, byte[] fullInt8, Consumer<String> progress)
      throws OrtException, PredictorException {
    Set<String> kept = new LinkedHashSet<>();
    byte[] current = fullInt8;
    PrecisionPlan currentPlan = PrecisionPlan.int8(base);
    for (String node : nodes) {
      if (kept.size() + 1 >= nodes.size()) {
        break; // keeping every layer in fp32 is the fp32 plan
      }
      Set<String> trial = new LinkedHashSet<>(kept);
      trial.add(node);
      PrecisionPlan plan = PrecisionPlan.int8Mixed(base, trial);
      byte[] graph = new QdqQuantizer(plan.quantization()).quantize(fp32, calibration, calibrationCount, i -> {}).model().toByteArray();
      double gain;
      try (OnnxPredictor a = open(current, currentPlan); OnnxPredictor b = open(graph, plan)) {
        List<ThroughputProbe.Rate> r = probe(reference).measure(List.of(a, b));
        gain = r.get(1).median() / r.get(0).median();
      }
      boolean keep = gain >= options.minGain();
      progress.accept(String.format(java.util.Locale.ROOT, "layer %s in fp32: %.2fx -> %s", node, gain, keep ? "kept fp32" : "stays int8"));
      if (keep) {
        kept = trial;
        current = graph;
        currentPlan = plan;
      }
    }
    return kept;
  }

  private void add(Map<String, PrecisionPlan> plans, Map<String, byte[]> graphs, PrecisionPlan plan, ModelProto fp32,
      float[] calibration, int calibrationCount) throws OrtException {
    plans.put(plan.name(), plan);
    graphs.put(plan.name(),
        new QdqQuantizer(plan.quantization()).quantize(fp32, calibration, calibrationCount, i -> {}).model().toByteArray());
  }

  /** "OpType:name" of every node the quantizer may rewrite (a Conv/Gemm/MatMul with a float weight initializer), in graph order. */
  static List<String> quantizableNodes(ModelProto model) {
    Set<String> floatInits = new HashSet<>();
    for (TensorProto t : model.getGraph().getInitializerList()) {
      if (t.getDataType() == TensorProto.DataType.FLOAT.getNumber()) {
        floatInits.add(t.getName());
      }
    }
    List<String> out = new ArrayList<>();
    for (NodeProto n : model.getGraph().getNodeList()) {
      if (QuantizationConfig.ALL_OP_TYPES.contains(n.getOpType()) && n.getInputCount() >= 2
          && floatInits.contains(n.getInput(1)) && !n.getName().isEmpty()) {
        out.add(n.getOpType() + ":" + n.getName());
      }
    }
    return out;
  }

  private OnnxPredictor open(byte[] graph, PrecisionPlan plan) throws PredictorException {
    return OnnxPredictor.openCpu(graph, OrtConfig.cpu(options.threads()).withDisabledOptimizers(plan.disabledOptimizers()));
  }

  private ThroughputProbe probe(Reference reference) {
    return new ThroughputProbe(reference.inputs(), reference.sampleSize(), options.batchSize(), options.rounds(),
        options.secondsPerRound());
  }

  private static int[] top1(OnnxPredictor p, Reference reference) throws PredictorException {
    int n = reference.labels().length;
    int size = reference.sampleSize();
    int[] out = new int[n];
    for (int from = 0; from < n; from += 256) {
      int b = Math.min(256, n - from);
      Predictions r = p.predict(java.util.Arrays.copyOfRange(reference.inputs(), from * size, (from + b) * size), b);
      for (int i = 0; i < b; i++) {
        out[from + i] = r.argmax(i);
      }
    }
    return out;
  }

  private static double agreement(int[] a, int[] b) {
    int same = 0;
    for (int i = 0; i < a.length; i++) {
      same += a[i] == b[i] ? 1 : 0;
    }
    return (double) same / a.length;
  }
}
