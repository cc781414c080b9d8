package dev.osprey.trainer.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.data.InputSummaryReference;
import dev.osprey.model.InputSpec;
import dev.osprey.model.onnx.OnnxExporter;
import dev.osprey.model.publish.PublishedNetwork;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.plan.PlanSection;
import dev.osprey.model.plan.PrecisionPlan;
import dev.osprey.model.plan.PrecisionPlanner;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.registry.CalibrationMap;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.registry.PrecisionPlans;
import dev.osprey.model.registry.ReferenceProfile;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.PredictorException;
import dev.osprey.trainer.EvaluationReport;
import dev.osprey.trainer.Evaluator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The packaging half of a model's birth ({@link ModelPipeline} calls it): export the trained DJL
 * network to an fp32 ONNX graph, build and measure its precision plans with the
 * {@link PrecisionPlanner} (full QDQ int8 — the TensorRT form —, Gemm/MatMul-only int8, int8 with
 * the layers that lose on this host kept in fp32; accuracy, agreement and throughput on this host),
 * measure fp32 and full int8 with the {@link Evaluator} on reference data (accuracy, top-1
 * agreement, the drift reference profile of the int8 model), store the network so it can be
 * fine-tuned or explained later ({@link PublishedNetwork}), and publish the version atomically with
 * every plan's ONNX file and the manifest's {@code plans} section.
 *
 * <p>Beside the manifest's reference profile it stores what the monitor's other detectors need,
 * computed from the same held-out reference data: the input-summary reference
 * ({@link FileRoles#INPUT_SUMMARIES}, at most {@value #INPUT_SUMMARY_SAMPLE} rows) and the CBPE
 * calibration map of the int8 model ({@link FileRoles#CBPE_CALIBRATION}: isotonic fit of "right" on
 * confidence over every reference sample).
 */
public final class ModelPackager {
  /** Metric names written into the manifest. */
  public static final String ACCURACY = "accuracy";
  public static final String ACCURACY_FP32 = "accuracy_fp32";
  public static final String AGREEMENT = "agreement_int8_fp32";

  private static final int BATCH = 250;
  private static final int PROFILE_BINS = 20;
  private static final int PROFILE_SAMPLE = 256;
  /** Rows of the input-summary reference (7 numbers each, a file beside the manifest). */
  public static final int INPUT_SUMMARY_SAMPLE = 2000;

  private final ModelRegistry registry;
  private final PrecisionPlanner.Options planning;

  /** A packager that plans with {@link PrecisionPlanner.Options#defaults()} (batch 64, 1 thread). */
  public ModelPackager(ModelRegistry registry) {
    this(registry, PrecisionPlanner.Options.defaults());
  }

  /** @param planning how plans are measured (tests shorten the rounds) */
  public ModelPackager(ModelRegistry registry, PrecisionPlanner.Options planning) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.planning = Objects.requireNonNull(planning, "planning");
  }

  /**
   * What to publish.
   *
   * @param name registry name
   * @param network the trained network; not closed here
   * @param input input spec (normalization is part of the model)
   * @param labels class names in output order
   * @param calibration images the int8 activation ranges are calibrated on
   * @param calibrationCount how many of them (at most its size)
   * @param quantization quantizer settings
   * @param reference held-out labelled images: accuracy, agreement and the drift reference profile
   * @param trainingHyperparameters recorded beside the network spec (JSON-friendly values)
   * @param lineage how the network was trained
   * @param parentVersion the version this one succeeds, or null
   * @param extraMetrics more metrics for the manifest (e.g. validation accuracy)
   */
  public record Request(
      String name,
      DjlNetwork network,
      InputSpec input,
      List<String> labels,
      ImageDataset calibration,
      int calibrationCount,
      QuantizationConfig quantization,
      ImageDataset reference,
      Map<String, Object> trainingHyperparameters,
      Lineage lineage,
      Integer parentVersion,
      Map<String, Double> extraMetrics) {

    /** @throws IllegalArgumentException naming the field that is missing or does not fit */
    public Request {
      Objects.requireNonNull(network, "network");
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(calibration, "calibration");
      Objects.requireNonNull(reference, "reference");
      Objects.requireNonNull(quantization, "quantization");
      Objects.requireNonNull(lineage, "lineage");
      if (labels == null || labels.size() != network.spec().classes()) {
        throw new IllegalArgumentException("labels must name the network's " + network.spec().classes() + " classes, got " + labels);
      }
      if (calibrationCount < 1 || calibrationCount > calibration.size()) {
        throw new IllegalArgumentException("calibrationCount must be in 1.." + calibration.size() + ", got " + calibrationCount);
      }
      if (reference.size() == 0) {
        throw new IllegalArgumentException("reference dataset must not be empty");
      }
      if (calibration.imageSize() != input.size() || reference.imageSize() != input.size()) {
        throw new IllegalArgumentException("images do not fit input shape " + input.shape());
      }
      trainingHyperparameters = trainingHyperparameters == null ? Map.of() : Map.copyOf(trainingHyperparameters);
      if (trainingHyperparameters.containsKey(PublishedNetwork.NETWORK_KEY)) {
        throw new IllegalArgumentException("trainingHyperparameters must not use the reserved key '" + PublishedNetwork.NETWORK_KEY + "'");
      }
      extraMetrics = extraMetrics == null ? Map.of() : Map.copyOf(extraMetrics);
    }
  }

  /**
   * A published version and what publishing measured: the seam where a promotion gate takes over
   * (it compares {@code int8} with the serving version's figures, then activates or not).
   *
   * @param version the new registry version (not yet active)
   * @param int8 the int8 model (the one served) on the reference data, with agreement with fp32
   * @param fp32 the fp32 ONNX graph on the reference data
   * @param fp32Bytes size of the fp32 ONNX file
   * @param int8Bytes size of the int8 ONNX file
   * @param plans the plans stored in the version, with this host's figures and choice
   */
  public record Published(ModelVersion version, EvaluationReport int8, EvaluationReport fp32, long fp32Bytes, long int8Bytes,
      PrecisionPlans plans) {
    /** What {@code precision=auto} serves on the host that published. */
    public PrecisionPlans.HostFigures hostFigures() {
      return plans.hosts().values().iterator().next();
    }

    public double accuracyInt8() {
      return int8.accuracy();
    }

    public double accuracyFp32() {
      return fp32.accuracy();
    }

    /** Share of reference samples on which int8 and fp32 pick the same class. */
    public double agreement() {
      return int8.agreement();
    }
  }

  /**
   * More figures measured on the exported graphs before the version is published, written into its
   * manifest's metrics (the retraining loop's promotion gate figures). Runs after the standard
   * measurements; a failure stops the publish, so nothing becomes visible.
   */
  @FunctionalInterface
  public interface ExtraMeasurement {
    /** No extra figures. */
    ExtraMeasurement NONE = (fp32, int8) -> Map.of();

    /** @return finite figures by metric name */
    Map<String, Double> measure(Path fp32Onnx, Path int8Onnx) throws IOException, PredictorException;
  }

  /**
   * Exports, quantizes, measures and publishes.
   *
   * @param progress told each step as it starts (e.g. "quantize int8 (entropy, 1000 samples)")
   * @throws IOException if a file cannot be written or publishing fails
   * @throws PredictorException if ONNX Runtime refuses the exported or quantized graph
   */
  public Published publish(Request r, Consumer<String> progress) throws IOException, PredictorException {
    return publish(r, progress, ExtraMeasurement.NONE);
  }

  /** As {@link #publish(Request, Consumer)}, adding {@code extra}'s figures to the manifest's metrics. */
  public Published publish(Request r, Consumer<String> progress, ExtraMeasurement extra) throws IOException, PredictorException {
    Path work = Files.createTempDirectory("osprey-package-");
    try {
      progress.accept("export fp32 ONNX");
      ModelProto fp32 = new OnnxExporter().export(r.network().spec(), r.network().block());

      progress.accept("quantize int8 (" + r.quantization().method().name().toLowerCase(Locale.ROOT) + ", "
          + r.calibrationCount() + " samples) and plan " + planning.batchSize() + "-sample batches on this host");
      PrecisionPlanner.Result planned = plan(fp32, r, progress);
      Map<String, Path> planFiles = new LinkedHashMap<>();
      Map<String, String> planHashes = new LinkedHashMap<>();
      for (Map.Entry<String, PrecisionPlan> p : planned.plans().entrySet()) {
        Path file = Files.write(work.resolve(p.getValue().fileName()), planned.graphs().get(p.getKey()));
        planFiles.put(p.getKey(), file);
        planHashes.put(p.getKey(), ModelRegistry.sha256(file));
      }
      PrecisionPlans plans = PlanSection.of(planned, planning, planHashes);
      progress.accept("plans " + planned.plans().keySet() + "; auto on this host: " + planned.choice().reason());
      Path fp32File = planFiles.get(PrecisionPlan.FP32);
      Path int8File = planFiles.get(PrecisionPlan.INT8);

      progress.accept("measure on " + r.reference().name() + " (" + r.reference().size() + " samples)");
      Evaluator evaluator = new Evaluator(r.input(), BATCH);
      Evaluator.Outputs f = run(evaluator, fp32File, r.reference(), false);
      Evaluator.Outputs q = run(evaluator, int8File, r.reference(), true);
      EvaluationReport fp32Report = evaluator.report(r.reference(), f, null);
      EvaluationReport int8Report = evaluator.report(r.reference(), q, f);
      ReferenceProfile profile = ReferenceProfile.fromSoftmax(q.softmax(), q.embeddings(), PROFILE_BINS, PROFILE_SAMPLE, r.lineage().seed());
      Path inputSummaries = writeJson(work.resolve("input-summaries.json"),
          InputSummaryReference.of(r.reference(), INPUT_SUMMARY_SAMPLE));
      Path cbpe = writeJson(work.resolve("cbpe-calibration.json"), cbpeCalibration(q, r.reference()));

      ModelDraft.Builder draft = ModelDraft.builder()
          .setName(r.name())
          .setInput(r.input())
          .setLabels(r.labels())
          .optPlans(plans)
          .optMetric(ACCURACY, int8Report.accuracy())
          .optMetric(ACCURACY_FP32, fp32Report.accuracy())
          .optMetric(AGREEMENT, int8Report.agreement())
          .optMetric("reference_samples", r.reference().size())
          .optCalibration(calibrationName(r.quantization(), r.calibration().name(), r.calibrationCount()))
          .optLineage(r.lineage())
          .optReference(profile)
          .setFile(FileRoles.INPUT_SUMMARIES, inputSummaries)
          .setFile(FileRoles.CBPE_CALIBRATION, cbpe);
      plans.candidates().forEach((name, c) -> draft.setFile(c.file(), planFiles.get(name)));
      PublishedNetwork.addTo(draft, r.network(), r.trainingHyperparameters(), work);
      r.extraMetrics().forEach(draft::optMetric);
      extra.measure(fp32File, int8File).forEach(draft::optMetric);
      if (r.parentVersion() != null) {
        draft.optParentVersion(r.parentVersion());
      }
      progress.accept("publish " + r.name());
      ModelVersion version = registry.publish(draft.build());
      return new Published(version, int8Report, fp32Report, Files.size(fp32File), Files.size(int8File), plans);
    } finally {
      deleteTree(work);
    }
  }

  /** CBPE's map for the served model: isotonic fit of "predicted the reference label" on confidence. */
  static CalibrationMap cbpeCalibration(Evaluator.Outputs served, ImageDataset reference) {
    int n = reference.size();
    float[] confidence = new float[n];
    boolean[] correct = new boolean[n];
    for (int i = 0; i < n; i++) {
      confidence[i] = (float) served.confidence()[i];
      correct[i] = served.predicted()[i] == reference.label(i);
    }
    return CalibrationMap.fit(confidence, correct);
  }

  private static Path writeJson(Path file, Object value) throws IOException {
    new ObjectMapper().writeValue(file.toFile(), value);
    return file;
  }

  private PrecisionPlanner.Result plan(ModelProto fp32, Request r, Consumer<String> progress) throws PredictorException {
    float[] calib = ImageBatches.normalize(r.calibration(), r.input(), 0, r.calibrationCount());
    int n = r.reference().size();
    PrecisionPlanner.Reference reference = new PrecisionPlanner.Reference(
        ImageBatches.normalize(r.reference(), r.input(), 0, n), ImageBatches.labels(r.reference(), 0, n), r.input().size());
    try {
      return new PrecisionPlanner(planning).plan(fp32, r.quantization(), calib, r.calibrationCount(), reference,
          step -> progress.accept("plan: " + step));
    } catch (ai.onnxruntime.OrtException e) {
      throw new PredictorException("calibration run failed: " + e.getMessage(), e);
    }
  }

  private static Evaluator.Outputs run(Evaluator evaluator, Path onnx, ImageDataset data, boolean keepRows) throws PredictorException {
    try (OnnxPredictor p = OnnxPredictor.openCpu(onnx, OrtConfig.cpu(Runtime.getRuntime().availableProcessors()))) {
      return evaluator.run(p, data, keepRows);
    }
  }

  static String calibrationName(QuantizationConfig q, String dataset, int count) {
    String method = q.method().name().toLowerCase(Locale.ROOT);
    if (q.method() == CalibrationMethod.PERCENTILE) {
      method += " " + q.percentile();
    }
    return method + " on " + count + " of " + dataset + (q.reduceRange() ? ", 7-bit weights" : ", 8-bit weights");
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
