package dev.osprey.cli.demo;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.publish.ModelPackager;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.trainer.Hyperparameters;
import dev.osprey.trainer.Recipes;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The demo's model: the latest version of {@code name} in the registry when there is a good one,
 * otherwise a student CNN trained on the bundled fixture for a couple of epochs (~20 s on two
 * cores), quantized and published there. So the first demo run makes a model and later runs reuse it.
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
    ImageDataset test = datasets.load("fixture:test");
    // small batches and a higher peak LR: more updates in the demo's short budget
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(EPOCHS).withBatchSize(64).withLearningRate(3e-3f).withSeed(SEED);
    try (Recipes.Outcome trained = new Recipes(InputSpec.mnist(), true)
        .fromScratch("student", Architectures.cnnStudent(10), train, hp)) {
      var request = new ModelPackager.Request(name, trained.model().spec(), trained.model().model(), InputSpec.mnist(),
          ModelPackager.Request.digitLabels(), train, 1000, QuantizationConfig.of(CalibrationMethod.ENTROPY), test,
          Map.of("epochs", EPOCHS, "batchSize", 64, "learningRate", 3e-3), new Lineage(Map.of(train.name(), (long) trained.record().trainCount()), "student", SEED,
              List.of(), trained.record().history().size()),
          latest.isPresent() ? latest.getAsInt() : null, Map.of());
      ModelPackager.Published p = new ModelPackager(registry).publish(request, step -> out.println("  " + step));
      out.printf(Locale.ROOT, "  published %s: int8 accuracy %.4f on %s (fp32 %.4f, agreement %.4f)%n",
          p.version().ref(), p.accuracyInt8(), test.name(), p.accuracyFp32(), p.agreement());
      return p.version();
    }
  }
}
