package dev.osprey.cli.train;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.cli.models.PublishModelCommand;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.trainer.Hyperparameters;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options every {@code osprey train} recipe shares. */
public final class TrainingOptions {
  @Option(names = "--dataset", defaultValue = "fixture:train", description = "training data, e.g. fixture:train or mnist:train (default: ${DEFAULT-VALUE})")
  String dataset;

  @Option(names = "--test-dataset", description = "evaluate the result on this dataset, e.g. mnist:test")
  String testDataset;

  @Option(names = "--data-dir", defaultValue = "data", description = "directory holding mnist/ etc. (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--out", required = true, description = "directory to write the trained model to")
  Path out;

  @Option(names = "--epochs", defaultValue = "5", description = "epochs (default: ${DEFAULT-VALUE})")
  int epochs;

  @Option(names = "--batch-size", defaultValue = "128", description = "batch size (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--lr", defaultValue = "0.001", description = "peak learning rate, Adam (default: ${DEFAULT-VALUE})")
  float learningRate;

  @Option(names = "--warmup", defaultValue = "0.05", description = "share of steps for LR warmup before cosine decay (default: ${DEFAULT-VALUE})")
  float warmup;

  @Option(names = "--weight-decay", defaultValue = "0.00001", description = "L2 weight decay (default: ${DEFAULT-VALUE})")
  float weightDecay;

  @Option(names = "--label-smoothing", defaultValue = "0.05", description = "label smoothing epsilon (default: ${DEFAULT-VALUE})")
  float labelSmoothing;

  @Option(names = "--jitter", defaultValue = "0", description = "random shift augmentation in pixels (default: ${DEFAULT-VALUE})")
  int jitter;

  @Option(names = "--noise", defaultValue = "0", description = "gaussian noise std on normalized inputs (default: ${DEFAULT-VALUE})")
  float noise;

  @Option(names = "--validation", defaultValue = "1000", description = "training examples held out for early stopping (default: ${DEFAULT-VALUE})")
  int validation;

  @Option(names = "--patience", defaultValue = "3", description = "epochs without improvement before stopping (default: ${DEFAULT-VALUE})")
  int patience;

  @Option(names = "--seed", defaultValue = "42", description = "random seed (default: ${DEFAULT-VALUE})")
  int seed;

  @Option(names = "--threads", description = "PyTorch intra-op threads (default: available cores)")
  Integer threads;

  @Option(names = "--publish", paramLabel = "NAME", description = "also publish the result as the next registry version of NAME (see osprey models publish)")
  String publish;

  @Option(names = "--registry", defaultValue = "registry", paramLabel = "DIR", description = "model registry for --publish (default: ${DEFAULT-VALUE})")
  Path registry;

  @Mixin PublishModelCommand.Settings publishing;

  Hyperparameters hyperparameters() {
    return new Hyperparameters(epochs, batchSize, learningRate, warmup, weightDecay, labelSmoothing, jitter, noise, validation, patience, seed);
  }

  /** Installs the DJL guard and thread count; call before any DJL class loads. */
  void prepareEngine() {
    DjlOfflineGuard.install();
    int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
  }

  ImageDataset trainData() throws IOException {
    return new Datasets(dataDir).load(dataset);
  }

  ImageDataset testData() throws IOException {
    return testDataset == null ? null : new Datasets(dataDir).load(testDataset);
  }
}
