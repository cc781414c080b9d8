package dev.osprey.trainer.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.plan.PrecisionPlanner;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.runtime.PredictorException;
import dev.osprey.model.runtime.PyTorchPredictor;
import dev.osprey.trainer.Cancellation;
import dev.osprey.trainer.EvaluationReport;
import dev.osprey.trainer.Evaluator;
import dev.osprey.trainer.Recipes;
import dev.osprey.trainer.TrainedModel;
import dev.osprey.trainer.TrainingRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;

/**
 * Where a model is born: one object runs <b>train -> evaluate -> export -> quantize -> measure ->
 * publish</b> (the last four in {@link ModelPackager}). {@code osprey train ... --publish},
 * {@code osprey models publish} and the demo each make one {@link Plan} and call {@link #run};
 * the retraining service will too, then hand {@link Born#published()} to its promotion gate and
 * activate (the steps after publish, which live beside this class, not in it).
 *
 * <p>Each step reports a line to the progress consumer as it finishes or starts, so a caller
 * prints one log of what happened.
 */
public final class ModelPipeline {
  private static final int EVALUATION_BATCH = 500;

  private final ModelRegistry registry;
  private final Datasets datasets;
  private final Consumer<String> progress;
  private final PrecisionPlanner.Options planning;

  /**
   * @param registry where {@link Plan#optPublish} publishes (may be null for plans that do not publish)
   * @param datasets resolves the dataset names of a {@link Publication} and of a trained directory's record
   * @param progress told one line per step
   */
  public ModelPipeline(ModelRegistry registry, Datasets datasets, Consumer<String> progress) {
    this(registry, datasets, progress, PrecisionPlanner.Options.defaults());
  }

  /** @param planning how the packager measures the precision plans (tests shorten the rounds) */
  public ModelPipeline(ModelRegistry registry, Datasets datasets, Consumer<String> progress, PrecisionPlanner.Options planning) {
    this.registry = registry;
    this.datasets = Objects.requireNonNull(datasets, "datasets");
    this.progress = Objects.requireNonNull(progress, "progress");
    this.planning = Objects.requireNonNull(planning, "planning");
  }

  /** The training step: a recipe run on {@link Recipes} (it may open and close its own teachers). */
  @FunctionalInterface
  public interface Training {
    /** @throws ModelLoadException if a registry version it starts from (e.g. a teacher) cannot be loaded */
    TrainedModel train(Recipes recipes) throws IOException, ModelLoadException;
  }

  /**
   * How to publish.
   *
   * @param name registry name of the model
   * @param reference labelled data for accuracy and the drift reference profile, or null for the
   *     training set's test split ({@code mnist:train -> mnist:test})
   * @param calibration int8 calibration data, or null for the training set
   * @param calibrationSamples how many calibration images (at most the set's size)
   * @param method calibration method
   * @param parent the version this one succeeds, or null for the latest version of the name
   */
  public record Publication(String name, String reference, String calibration, int calibrationSamples, CalibrationMethod method,
      Integer parent) {
    /** @throws IllegalArgumentException for a blank name or a non-positive sample count */
    public Publication {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("publication name must not be blank");
      }
      if (calibrationSamples < 1) {
        throw new IllegalArgumentException("calibrationSamples must be >= 1, got " + calibrationSamples);
      }
      Objects.requireNonNull(method, "method");
    }

    /** Defaults: test split as reference, 1000 entropy-calibrated samples of the training set, parent = latest. */
    public static Publication of(String name) {
      return new Publication(name, null, null, 1000, CalibrationMethod.ENTROPY, null);
    }
  }

  /** What to run: a source (train now, or a trained directory) and the optional steps after it. */
  public static final class Plan {
    private final Training training;
    private final Path trainedDirectory;
    private Path saveTo;
    private ImageDataset evaluateOn;
    private Publication publication;
    private ImageDataset calibrationData;
    private ModelPackager.ExtraMeasurement extraMeasurement = ModelPackager.ExtraMeasurement.NONE;
    private Cancellation cancellation = Cancellation.NEVER;

    private Plan(Training training, Path trainedDirectory) {
      this.training = training;
      this.trainedDirectory = trainedDirectory;
    }

    /** Train now with a recipe. */
    public static Plan train(Training training) {
      return new Plan(Objects.requireNonNull(training, "training"), null);
    }

    /** Start from a trained directory (as {@code osprey train} writes it). */
    public static Plan fromDirectory(Path dir) {
      return new Plan(null, Objects.requireNonNull(dir, "dir"));
    }

    /** Save the trained model as a trained directory (training.json, parameters, curves.png). */
    public Plan optSaveTo(Path dir) {
      this.saveTo = dir;
      return this;
    }

    /** Evaluate on {@code test}; with {@link #optSaveTo}, evaluation.json and evaluation.png go there. */
    public Plan optEvaluateOn(ImageDataset test) {
      this.evaluateOn = test;
      return this;
    }

    /** Export, quantize, measure and publish as the next version of {@code publication.name()}. */
    public Plan optPublish(Publication publication) {
      this.publication = publication;
      return this;
    }

    /** Calibrate int8 on these images (e.g. the retraining loop's data mix) instead of a named dataset. */
    public Plan optCalibrationData(ImageDataset images) {
      this.calibrationData = images;
      return this;
    }

    /** Measure more on the exported graphs before publishing; the figures go into the manifest's metrics. */
    public Plan optExtraMeasurement(ModelPackager.ExtraMeasurement measurement) {
      this.extraMeasurement = Objects.requireNonNull(measurement, "measurement");
      return this;
    }

    /**
     * Stop when {@code cancellation} asks: training checks it before every batch, publishing before
     * each of its steps; {@link #run} then throws {@link CancellationException} and publishes nothing.
     */
    public Plan optCancellation(Cancellation cancellation) {
      this.cancellation = Objects.requireNonNull(cancellation, "cancellation");
      return this;
    }
  }

  /**
   * What came out.
   *
   * @param record how the model was trained
   * @param evaluation the evaluation on {@link Plan#optEvaluateOn}'s data, or null
   * @param published the registry version and what publishing measured, or null
   */
  public record Born(TrainingRecord record, EvaluationReport evaluation, ModelPackager.Published published) {}

  /**
   * Runs the plan's steps in order.
   *
   * @throws IOException if data, the trained directory or the registry cannot be read or written
   * @throws ModelLoadException if a registry version the training starts from cannot be loaded
   * @throws PredictorException if an engine refuses the network or its ONNX graphs
   * @throws IllegalStateException if the plan publishes and this pipeline has no registry
   * @throws CancellationException if the plan's {@link Plan#optCancellation} asked (nothing is published)
   */
  public Born run(Plan plan) throws IOException, ModelLoadException, PredictorException {
    if (plan.publication != null && registry == null) {
      throw new IllegalStateException("this pipeline has no registry to publish " + plan.publication.name() + " to");
    }
    try (TrainedModel model = plan.training != null ? trainStep(plan.training, plan.cancellation) : TrainedModel.load(plan.trainedDirectory)) {
      if (plan.saveTo != null) {
        model.save(plan.saveTo);
        progress.accept("saved to " + plan.saveTo);
      }
      EvaluationReport evaluation = plan.evaluateOn == null ? null : evaluate(model, plan.evaluateOn, plan.saveTo);
      ModelPackager.Published published = plan.publication == null ? null : publish(model, plan);
      return new Born(model.record(), evaluation, published);
    }
  }

  private TrainedModel trainStep(Training training, Cancellation cancellation) throws IOException, ModelLoadException {
    TrainedModel model = training.train(new Recipes(true, cancellation));
    TrainingRecord r = model.record();
    progress.accept(String.format(Locale.ROOT, "%s (%s): best validation accuracy %.4f at epoch %d, %.0f s",
        r.spec().name(), r.recipe(), r.bestValidationAccuracy(), r.bestEpoch(), r.seconds()));
    if (r.details().containsKey("achievedSparsity")) {
      progress.accept(String.format(Locale.ROOT, "achieved sparsity %.4f", ((Number) r.details().get("achievedSparsity")).doubleValue()));
    }
    return model;
  }

  private EvaluationReport evaluate(TrainedModel model, ImageDataset test, Path reportDir) throws IOException, PredictorException {
    EvaluationReport report;
    try (PyTorchPredictor predictor = model.network().newPredictor()) {
      report = new Evaluator(model.record().input(), EVALUATION_BATCH).evaluate(predictor, test, null);
    }
    if (reportDir != null) {
      Evaluator.save(report, reportDir);
    }
    progress.accept(String.format(Locale.ROOT, "%s: accuracy %.4f (%d errors of %d), ECE %.4f",
        test.name(), report.accuracy(), report.errors(), report.count(), report.ece()));
    return report;
  }

  private ModelPackager.Published publish(TrainedModel model, Plan plan) throws IOException, PredictorException {
    Publication p = plan.publication;
    TrainingRecord record = model.record();
    ImageDataset calibration = plan.calibrationData != null ? plan.calibrationData
        : datasets.load(p.calibration() != null ? p.calibration() : record.dataset());
    ImageDataset reference = datasets.load(p.reference() != null ? p.reference() : testSplitOf(record.dataset()));
    Integer parent = p.parent() != null ? p.parent() : (registry.latest(p.name()).isPresent() ? registry.latest(p.name()).getAsInt() : null);
    ModelPackager.Request request = new ModelPackager.Request(p.name(), model.network(), record.input(), record.labels(), calibration,
        Math.min(p.calibrationSamples(), calibration.size()), QuantizationConfig.of(p.method()), reference, hyperparameters(record),
        lineage(record), parent,
        Map.of("validation_accuracy", record.bestValidationAccuracy(), "training_seconds", record.seconds()));
    ModelPackager.Published published =
        new ModelPackager(registry, planning).publish(request, step -> {
          plan.cancellation.check(step);
          progress.accept("  " + step);
        }, plan.extraMeasurement);
    progress.accept(String.format(Locale.ROOT, "published %s: %s accuracy int8 %.4f, fp32 %.4f, agreement %.4f; %d -> %d bytes; %s",
        published.version().ref(), reference.name(), published.accuracyInt8(), published.accuracyFp32(), published.agreement(),
        published.fp32Bytes(), published.int8Bytes(), published.version().directory()));
    progress.accept("precision=auto on this host serves " + published.hostFigures().chosen() + " (" + published.hostFigures().reason() + ")");
    return published;
  }

  /** The training settings as manifest hyperparameters: the record's, the recipe and its details. */
  static Map<String, Object> hyperparameters(TrainingRecord record) {
    @SuppressWarnings("unchecked")
    Map<String, Object> hyper = new LinkedHashMap<>(new ObjectMapper().convertValue(record.hyperparameters(), Map.class));
    hyper.put("recipe", record.recipe());
    record.details().forEach((k, v) -> hyper.put("recipe." + k, v));
    return hyper;
  }

  /** The manifest's lineage of a trained model: data counts, recipe, seed, teachers, epochs. */
  static Lineage lineage(TrainingRecord record) {
    return new Lineage(Map.of(record.dataset(), (long) record.trainCount(), record.dataset() + " (validation)",
        (long) record.validationCount()), record.recipe(), record.hyperparameters().seed(), record.teachers(), record.history().size());
  }

  /** mnist:train -> mnist:test, fixture:train -> fixture:test; anything else is used as is. */
  static String testSplitOf(String dataset) {
    return dataset.endsWith(":train") ? dataset.substring(0, dataset.length() - ":train".length()) + ":test" : dataset;
  }
}
