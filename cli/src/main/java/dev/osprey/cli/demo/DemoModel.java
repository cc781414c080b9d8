package dev.osprey.cli.demo;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.trainer.Hyperparameters;
import dev.osprey.trainer.pipeline.ModelPackager;
import dev.osprey.trainer.pipeline.ModelPipeline;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * The demo's model step (not a model type): the latest version of {@code name} in the registry
 * when there is a good one, otherwise a student CNN trained on the bundled fixture for a couple of
 * epochs (~20 s on two cores) and published through the {@link ModelPipeline} (calibrated on 1000
 * training images, measured on {@code fixture:test}). So the first demo run makes a model and
 * later runs reuse it.
 */
public final class DemoModel {
  /** Budget of the demo's training run: enough for ~97% on the fixture's test split. */
  static final int EPOCHS = 2;
  static final int SEED = 42;

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
    ModelPipeline.Born born = new ModelPipeline(registry, datasets, step -> out.println("  " + step)).run(
        ModelPipeline.Plan.train(recipes -> recipes.fromScratch("student", Architectures.cnnStudent(train.classes()), train, hp))
            .optPublish(publication));
    return born.published().version();
  }
}
