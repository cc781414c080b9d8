package dev.osprey.model.publish;

import ai.djl.Model;
import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.Softmax;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.onnx.OnnxExporter;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QdqQuantizer;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.registry.Architecture;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.registry.ReferenceProfile;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.PredictorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Turns a trained DJL network into a registry version in one step: exports the fp32 ONNX graph,
 * quantizes it to int8 on calibration samples, runs both on reference data (accuracy, top-1
 * agreement, the drift reference profile of the int8 model that will be served), saves the DJL
 * parameters so the version can be fine-tuned or explained later, and publishes it atomically.
 *
 * <p>The architecture's hyperparameters hold the {@link NetworkSpec} under {@value #NETWORK_KEY};
 * {@link PublishedNetwork} rebuilds the DJL model from a version with it.
 */
public final class ModelPackager {
  /** Key of the serialized {@link NetworkSpec} in {@code architecture.hyperparameters}. */
  public static final String NETWORK_KEY = "network";
  /** Metric names written into the manifest. */
  public static final String ACCURACY = "accuracy";
  public static final String ACCURACY_FP32 = "accuracy_fp32";
  public static final String AGREEMENT = "agreement_int8_fp32";

  private static final int BATCH = 250;
  private static final int PROFILE_BINS = 20;
  private static final int PROFILE_SAMPLE = 256;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ModelRegistry registry;

  public ModelPackager(ModelRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /**
   * What to publish.
   *
   * @param name registry name
   * @param spec the architecture of {@code model}
   * @param model the trained network (PyTorch engine); not closed here
   * @param input input spec (normalization is part of the model)
   * @param labels class names in output order
   * @param calibration images the int8 activation ranges are calibrated on
   * @param calibrationCount how many of them (at most its size)
   * @param quantization quantizer settings
   * @param reference held-out labelled images: accuracy, agreement and the drift reference profile
   * @param trainingHyperparameters recorded beside the network spec (JSON-friendly values)
   * @param lineage how the network was trained
   * @param parentVersion the version this one succeeds, or null
   * @param extraMetrics more metrics for the manifest (e.g. ECE from a fuller evaluation)
   */
  public record Request(
      String name,
      NetworkSpec spec,
      Model model,
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
      Objects.requireNonNull(spec, "spec");
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(calibration, "calibration");
      Objects.requireNonNull(reference, "reference");
      Objects.requireNonNull(quantization, "quantization");
      Objects.requireNonNull(lineage, "lineage");
      if (labels == null || labels.size() != spec.classes()) {
        throw new IllegalArgumentException("labels must name the network's " + spec.classes() + " classes, got " + labels);
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
      if (trainingHyperparameters.containsKey(NETWORK_KEY)) {
        throw new IllegalArgumentException("trainingHyperparameters must not use the reserved key '" + NETWORK_KEY + "'");
      }
      extraMetrics = extraMetrics == null ? Map.of() : Map.copyOf(extraMetrics);
    }

    /** Digits 0..9, the labels of MNIST and of Osprey's fixture. */
    public static List<String> digitLabels() {
      return List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    }
  }

  /** What publishing measured, beside the version itself. */
  public record Published(ModelVersion version, double accuracyFp32, double accuracyInt8, double agreement, long fp32Bytes, long int8Bytes) {}

  /**
   * Exports, quantizes, measures and publishes.
   *
   * @param progress told each step as it starts (e.g. "quantize (entropy, 1000 samples)")
   * @throws IOException if a file cannot be written or publishing fails
   * @throws PredictorException if ONNX Runtime refuses the exported or quantized graph
   */
  public Published publish(Request r, Consumer<String> progress) throws IOException, PredictorException {
    Path work = Files.createTempDirectory("osprey-package-");
    try {
      progress.accept("export fp32 ONNX");
      ModelProto fp32 = new OnnxExporter().export(r.spec(), r.model().getBlock());
      Path fp32File = work.resolve(FileRoles.FP32_ONNX);
      Files.write(fp32File, fp32.toByteArray());

      progress.accept("quantize int8 (" + r.quantization().method().name().toLowerCase(java.util.Locale.ROOT) + ", "
          + r.calibrationCount() + " samples)");
      float[] calib = ImageBatches.normalize(r.calibration(), r.input(), 0, r.calibrationCount());
      ModelProto int8;
      try {
        int8 = new QdqQuantizer(r.quantization()).quantize(fp32, calib, r.calibrationCount(), step -> {}).model();
      } catch (ai.onnxruntime.OrtException e) {
        throw new PredictorException("calibration run failed: " + e.getMessage(), e);
      }
      Path int8File = work.resolve(FileRoles.INT8_ONNX);
      Files.write(int8File, int8.toByteArray());

      progress.accept("measure on " + r.reference().name() + " (" + r.reference().size() + " samples)");
      Outputs f = run(fp32File, r.reference(), r.input(), false);
      Outputs q = run(int8File, r.reference(), r.input(), true);
      int n = r.reference().size();
      int agree = 0;
      for (int i = 0; i < n; i++) {
        agree += f.predicted[i] == q.predicted[i] ? 1 : 0;
      }
      double accFp32 = accuracy(f.predicted, r.reference());
      double accInt8 = accuracy(q.predicted, r.reference());
      double agreement = (double) agree / n;
      ReferenceProfile profile = ReferenceProfile.fromSoftmax(q.softmax, q.embeddings, PROFILE_BINS, PROFILE_SAMPLE, r.lineage().seed());

      r.model().save(work.resolve("params"), r.spec().name());
      Path params;
      try (Stream<Path> files = Files.list(work.resolve("params"))) {
        params = files.filter(p -> p.getFileName().toString().endsWith(".params")).max(Comparator.naturalOrder())
            .orElseThrow(() -> new IOException("DJL wrote no .params file"));
      }

      Map<String, Object> given = new LinkedHashMap<>(r.trainingHyperparameters());
      given.put(NETWORK_KEY, r.spec());
      // through JSON text, so values have the types a loaded manifest has (Double, Integer, List)
      // and a published manifest equals the same manifest read back
      @SuppressWarnings("unchecked")
      Map<String, Object> hyper = JSON.readValue(JSON.writeValueAsBytes(given), Map.class);
      ModelDraft.Builder draft = ModelDraft.builder()
          .setName(r.name())
          .setArchitecture(new Architecture(r.spec().name(), hyper))
          .setInput(r.input())
          .setLabels(r.labels())
          .setFile(FileRoles.FP32_ONNX, fp32File)
          .setFile(FileRoles.INT8_ONNX, int8File)
          .setFile(FileRoles.PARAMS, params)
          .optMetric(ACCURACY, accInt8)
          .optMetric(ACCURACY_FP32, accFp32)
          .optMetric(AGREEMENT, agreement)
          .optMetric("reference_samples", n)
          .optCalibration(calibrationName(r.quantization(), r.calibration().name(), r.calibrationCount()))
          .optLineage(r.lineage())
          .optReference(profile);
      r.extraMetrics().forEach(draft::optMetric);
      if (r.parentVersion() != null) {
        draft.optParentVersion(r.parentVersion());
      }
      progress.accept("publish " + r.name());
      ModelVersion version = registry.publish(draft.build());
      return new Published(version, accFp32, accInt8, agreement, Files.size(fp32File), Files.size(int8File));
    } finally {
      deleteTree(work);
    }
  }

  static String calibrationName(QuantizationConfig q, String dataset, int count) {
    String method = q.method().name().toLowerCase(java.util.Locale.ROOT);
    if (q.method() == CalibrationMethod.PERCENTILE) {
      method += " " + q.percentile();
    }
    return method + " on " + count + " of " + dataset + (q.reduceRange() ? ", 7-bit weights" : ", 8-bit weights");
  }

  private record Outputs(int[] predicted, List<float[]> softmax, List<float[]> embeddings) {}

  private static Outputs run(Path onnx, ImageDataset data, InputSpec input, boolean keepRows) throws PredictorException {
    int n = data.size();
    int[] predicted = new int[n];
    List<float[]> softmax = new ArrayList<>(keepRows ? n : 0);
    List<float[]> embeddings = new ArrayList<>(keepRows ? n : 0);
    try (OnnxPredictor p = OnnxPredictor.openCpu(onnx, OrtConfig.cpu(Runtime.getRuntime().availableProcessors()))) {
      for (int from = 0; from < n; from += BATCH) {
        int b = Math.min(BATCH, n - from);
        Predictions out = p.predict(ImageBatches.normalize(data, input, from, b), b);
        for (int i = 0; i < b; i++) {
          predicted[from + i] = out.argmax(i);
          if (keepRows) {
            softmax.add(Softmax.of(out.logits(i)));
            if (out.embeddingSize() > 0) {
              embeddings.add(out.embedding(i));
            }
          }
        }
      }
    }
    return new Outputs(predicted, softmax, embeddings);
  }

  private static double accuracy(int[] predicted, ImageDataset data) {
    int right = 0;
    for (int i = 0; i < predicted.length; i++) {
      right += predicted[i] == data.label(i) ? 1 : 0;
    }
    return (double) right / predicted.length;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
