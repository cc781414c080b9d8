package dev.osprey.cli.demo;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.PyTorchPredictor;
import dev.osprey.trainer.Hyperparameters;
import dev.osprey.trainer.Recipes;
import dev.osprey.trainer.TrainedModel;
import dev.osprey.trainer.pipeline.ModelPackager;
import dev.osprey.trainer.pipeline.ModelPipeline;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * The demo's model step (not a model type): the latest version of {@code name} in the registry
 * when there is a good one, otherwise the default student ({@link Architectures#DEFAULT_STUDENT},
 * the best point of the precision study) distilled on the bundled fixture from a teacher trained
 * there first, and published through the {@link ModelPipeline} with its precision plans
 * (calibrated on 1000 training images, measured on {@code fixture:test}). So the first demo run
 * makes a model and later runs reuse it.
 */
public final class DemoModel {
  /** Budget of the demo's training run: enough for ~97% on the fixture's test split. */
  static final int EPOCHS = 3;
  static final int SEED = 42;
  /** The teacher's budget: Hinton's MLP teacher, fast to train on the fixture. */
  static final int TEACHER_EPOCHS = 3;
  static final float TEMPERATURE = 4f;
  static final float ALPHA = 0.1f;

  private final ModelRegistry registry;
  private final Datasets datasets;
  private final PrintStream out;

  public DemoModel(ModelRegistry registry, Datasets datasets, PrintStream out) {
    this.registry = registry;
    this.datasets = datasets;
    this.out = out;
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
    ImageDataset train = datasets.load("fixture:train");
    // small batches and a higher peak LR: more updates in the demo's short budget
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(EPOCHS).withBatchSize(64).withLearningRate(3e-3f).withSeed(SEED);
    ModelPipeline.Publication publication = ModelPipeline.Publication.of(name);
    Path teacherDir = Files.createTempDirectory("osprey-demo-teacher-");
    try {
      ModelPipeline.Born born = new ModelPipeline(registry, datasets, step -> out.println("  " + step)).run(
          ModelPipeline.Plan.train(recipes -> distillFromNewTeacher(recipes, train, hp, teacherDir)).optPublish(publication));
      return born.published().version();
    } finally {
      try (Stream<Path> files = Files.walk(teacherDir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Trains the teacher on {@code train}, saves it to {@code teacherDir} (its identity is its parameters' hash), distills the student. */
  private TrainedModel distillFromNewTeacher(Recipes recipes, ImageDataset train, Hyperparameters hp, Path teacherDir) throws IOException {
    try (TrainedModel teacher = recipes.fromScratch("teacher", Architectures.mlpTeacher(train.classes()), train,
        hp.withEpochs(TEACHER_EPOCHS))) {
      teacher.save(teacherDir);
      out.printf(Locale.ROOT, "  teacher %s: validation accuracy %.4f%n", teacher.record().spec().name(),
          teacher.record().bestValidationAccuracy());
      try (PyTorchPredictor logits = teacher.network().newPredictor()) {
        Recipes.Teacher asTeacher = new Recipes.Teacher(logits, TrainedModel.teacherIdentity(teacherDir));
        return recipes.distill(Architectures.defaultStudent(train.classes()), train, hp, List.of(asTeacher), TEMPERATURE, ALPHA);
      }
    }
  }
}
