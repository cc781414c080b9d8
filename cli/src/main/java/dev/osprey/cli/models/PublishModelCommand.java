package dev.osprey.cli.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.publish.ModelPackager;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.runtime.DjlModelDirectory;
import dev.osprey.trainer.TrainingRecord;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code osprey models publish DIR --name NAME}: a trained model directory ({@code osprey train
 * ...}) becomes the next registry version of NAME — fp32 and int8 ONNX, DJL parameters, measured
 * accuracy and agreement, and the drift reference profile.
 */
@Command(name = "publish", mixinStandardHelpOptions = true,
    description = "Export, quantize, measure and publish a trained model directory as the next version of a name.")
public final class PublishModelCommand implements Callable<Integer> {
  @Mixin RegistryOption registry;
  @Mixin Settings settings;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "Trained model directory (training.json + DJL parameters).")
  Path dir;

  @Option(names = "--name", required = true, description = "Registry name of the model.")
  String name;

  /** The options a publish shares with {@code osprey train --publish}. */
  public static final class Settings {
    @Option(names = "--reference", paramLabel = "DATASET",
        description = "Labelled data for accuracy and the drift reference profile (default: the training set's test split, e.g. mnist:test).")
    public String reference;

    @Option(names = "--calibration", paramLabel = "DATASET", description = "int8 calibration data (default: the training set).")
    public String calibration;

    @Option(names = "--calibration-samples", defaultValue = "1000", description = "Calibration samples (default: ${DEFAULT-VALUE}).")
    public int calibrationSamples;

    @Option(names = "--calibration-method", defaultValue = "entropy", description = "minmax, percentile or entropy (default: ${DEFAULT-VALUE}).")
    public String method;

    @Option(names = "--parent", description = "Version this one succeeds (default: the latest version of the name, if any).")
    public Integer parent;
  }

  @Option(names = "--data-dir", defaultValue = "data", description = "Dataset directory (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    publish(dir, name, registry.open(), settings, new Datasets(dataDir), spec.commandLine().getOut());
    return 0;
  }

  /** Publishes {@code trainedDir} as the next version of {@code name}; prints what it measured. */
  public static ModelPackager.Published publish(
      Path trainedDir, String name, ModelRegistry registry, Settings s, Datasets datasets, PrintWriter out)
      throws Exception {
    TrainingRecord record = new ObjectMapper().readValue(trainedDir.resolve(DjlModelDirectory.RECORD_FILE).toFile(), TrainingRecord.class);
    ImageDataset calibration = datasets.load(s.calibration != null ? s.calibration : record.dataset());
    ImageDataset reference = datasets.load(s.reference != null ? s.reference : testSplitOf(record.dataset()));
    Integer parent = s.parent != null ? s.parent : (registry.latest(name).isPresent() ? registry.latest(name).getAsInt() : null);

    Map<String, Object> hyper = new LinkedHashMap<>(new ObjectMapper().convertValue(record.hyperparameters(), Map.class));
    hyper.put("recipe", record.recipe());
    record.details().forEach((k, v) -> hyper.put("recipe." + k, v));
    Lineage lineage = new Lineage(Map.of(record.dataset(), (long) record.trainCount(), record.dataset() + " (validation)",
        (long) record.validationCount()), record.recipe(), record.hyperparameters().seed(), List.of(), record.history().size());
    Map<String, Double> extra = Map.of("validation_accuracy", record.bestValidationAccuracy(), "training_seconds", record.seconds());
    int samples = Math.min(s.calibrationSamples, calibration.size());
    try (DjlModelDirectory model = DjlModelDirectory.load(record.spec(), trainedDir, DjlModelDirectory.PARAMS_PREFIX)) {
      ModelPackager.Request request = new ModelPackager.Request(name, model.spec(), model.model(), InputSpec.mnist(),
          labelsOf(record.dataset()), calibration, samples, QuantizationConfig.of(CalibrationMethod.parse(s.method)),
          reference, hyper, lineage, parent, extra);
      ModelPackager.Published p = new ModelPackager(registry).publish(request, step -> out.println("  " + step));
      out.printf(Locale.ROOT, "published %s: %s accuracy int8 %.4f, fp32 %.4f, agreement %.4f; %d -> %d bytes; %s%n",
          p.version().ref(), reference.name(), p.accuracyInt8(), p.accuracyFp32(), p.agreement(), p.fp32Bytes(), p.int8Bytes(),
          p.version().directory());
      out.flush();
      return p;
    }
  }

  /** Class names of the datasets Osprey trains on. */
  static List<String> labelsOf(String dataset) {
    if (dataset.startsWith("fashion-mnist")) {
      return List.of("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot");
    }
    return ModelPackager.Request.digitLabels();
  }

  /** mnist:train -> mnist:test, fixture:train -> fixture:test; anything else is used as is. */
  static String testSplitOf(String dataset) {
    return dataset.endsWith(":train") ? dataset.substring(0, dataset.length() - ":train".length()) + ":test" : dataset;
  }
}
