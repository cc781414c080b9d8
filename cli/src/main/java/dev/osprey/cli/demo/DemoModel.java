package dev.osprey.cli.demo;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.trainer.Hyperparameters;
import dev.osprey.trainer.pipeline.ModelPackager;
import dev.osprey.trainer.pipeline.ModelPipeline;
import dev.osprey.trainer.pipeline.Teachers;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * The demo's model step (not a model type): the latest version of {@code name} in the registry
 * when there is a good one, otherwise the default student ({@link Architectures#DEFAULT_STUDENT},
 * the best point of the precision study) distilled on the bundled fixture from a teacher trained
 * there first, both published through the {@link ModelPipeline} with their precision plans
 * (calibrated on 1000 training images, measured on {@code fixture:test}); the teacher as
 * {@code <name>-teacher}, which the student's lineage names (the retraining loop re-distills from
 * it and its gate uses it as a witness of the labels). So the first demo run makes a model and
 * later runs reuse it.
 */
public final class DemoModel {
  /** Budget of the demo's training run: enough for ~97% on the fixture's test split. */
  static final int EPOCHS = 3;
  static final int SEED = 42;
  /** The teacher's budget: Hinton's MLP teacher, fast to train on the fixture. */
  static final int TEACHER_EPOCHS = 3;
  static final float TEMPERATURE = 4f;
  static final float ALPHA = 0.1f;
  /** The teacher's registry name: the served model's name plus this. */
  public static final String TEACHER_SUFFIX = "-teacher";

  /**
   * How much training a new model gets.
   *
   * @param trainImages the first this many images of {@code fixture:train}
   * @param teacherEpochs the teacher's epochs
   * @param studentEpochs the student's epochs
   */
  record Budget(int trainImages, int teacherEpochs, int studentEpochs) {
    /** The demo's: all 10,000 fixture images, {@link #TEACHER_EPOCHS} and {@link #EPOCHS}. */
    static final Budget DEMO = new Budget(Integer.MAX_VALUE, TEACHER_EPOCHS, EPOCHS);
  }

  private final ModelRegistry registry;
  private final Datasets datasets;
  private final PrintStream out;
  private final Budget budget;

  public DemoModel(ModelRegistry registry, Datasets datasets, PrintStream out) {
    this(registry, datasets, out, Budget.DEMO);
  }

  /** With a smaller training budget (tests that only need a working model). */
  DemoModel(ModelRegistry registry, Datasets datasets, PrintStream out, Budget budget) {
    this.registry = registry;
    this.datasets = datasets;
    this.out = out;
    this.budget = budget;
  }

  /**
   * The version the demo serves: the latest of {@code name} if it loads and verifies, else a new one.
   *
   * @throws IOException if training data cannot be read or publishing fails
   */
  public ModelVersion ensure(String name) throws Exception {
    OptionalInt latest = registry.latest(name);
    if (latest.isPresent()) {
      try {
        ModelVersion v = registry.load(name, latest.getAsInt());
        out.printf(Locale.ROOT, "  reusing %s from %s (accuracy %.4f)%n", v.ref(), registry.root(),
            v.manifest().metrics().getOrDefault(ModelPackager.ACCURACY, Double.NaN));
        return v;
      } catch (ModelLoadException e) {
        out.println("  " + name + ":" + latest.getAsInt() + " is not usable (" + e.getMessage() + "); training a new version");
      }
    }
    ImageDataset all = datasets.load("fixture:train");
    ImageDataset train = budget.trainImages() < all.size() ? all.slice(0, budget.trainImages()) : all;
    // small batches and a higher peak LR: more updates in the demo's short budget
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(budget.studentEpochs()).withBatchSize(64).withLearningRate(3e-3f)
        .withSeed(SEED);
    ModelPipeline pipeline = new ModelPipeline(registry, datasets, step -> out.println("  " + step));
    ModelRef teacher = teacher(pipeline, train, hp, name + TEACHER_SUFFIX);
    ModelPipeline.Born born = pipeline.run(ModelPipeline.Plan.train(recipes -> {
      try (Teachers t = new Teachers().addVersion(registry, teacher)) {
        return recipes.distill(Architectures.defaultStudent(train.classes()), train, hp, t.list(), TEMPERATURE, ALPHA);
      }
    }).optPublish(publication(name)));
    return born.published().version();
  }

  /**
   * The student's teacher, published in the registry beside it (so the retraining loop can
   * re-distill from it and its gate can use it as the label-quality witness): the latest
   * {@code teacherName} when there is one, else Hinton's MLP teacher trained on {@code train} now.
   */
  private ModelRef teacher(ModelPipeline pipeline, ImageDataset train, Hyperparameters hp, String teacherName) throws Exception {
    OptionalInt latest = registry.latest(teacherName);
    if (latest.isPresent()) {
      return ModelRef.of(teacherName, latest.getAsInt());
    }
    ModelPipeline.Born born = pipeline.run(ModelPipeline.Plan.train(recipes -> recipes.fromScratch("teacher",
            Architectures.mlpTeacher(train.classes()), train, hp.withEpochs(budget.teacherEpochs())))
        .optPublish(publication(teacherName)));
    out.printf(Locale.ROOT, "  teacher %s: validation accuracy %.4f%n", born.published().version().ref(),
        born.record().bestValidationAccuracy());
    return ModelRef.of(teacherName, born.published().version().manifest().version());
  }

  /** Measured on {@code fixture:test}, calibrated on 1000 images of {@code fixture:train} (whatever part of it trained). */
  private static ModelPipeline.Publication publication(String name) {
    return new ModelPipeline.Publication(name, "fixture:test", "fixture:train", 1000, CalibrationMethod.ENTROPY, null);
  }
}
