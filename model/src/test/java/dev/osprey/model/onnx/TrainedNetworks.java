package dev.osprey.model.onnx;

import ai.djl.Model;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.InputSpec;
import dev.osprey.model.net.LayerSpec;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.runtime.FixtureTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Small networks trained on fixture:train, shared by the onnx, quant and runtime tests. Trained
 * once per test JVM (a few seconds) with fixed seeds, so every test sees the same weights.
 */
public final class TrainedNetworks {
  static {
    DjlOfflineGuard.install();
  }

  /** conv-bn-relu-pool x2, flatten, dense-bn-relu-dropout, head: exercises every layer kind and both folds. */
  public static final NetworkSpec SMALL_CNN = new NetworkSpec(
      "test-cnn",
      List.of(1, 28, 28),
      List.of(
          new LayerSpec.Conv(8, 3, 1, 1),
          new LayerSpec.BatchNormalization(1e-5f),
          new LayerSpec.Relu(),
          new LayerSpec.MaxPool(2, 2),
          new LayerSpec.Conv(16, 3, 1, 0),
          new LayerSpec.BatchNormalization(1e-3f),
          new LayerSpec.Relu(),
          new LayerSpec.MaxPool(2, 2)),
      List.of(
          new LayerSpec.Flatten(),
          new LayerSpec.Dense(64),
          new LayerSpec.BatchNormalization(1e-5f),
          new LayerSpec.Relu(),
          new LayerSpec.DropoutLayer(0.25f)),
      10);

  private static Model smallCnn;
  private static byte[] smallCnnOnnx;

  private TrainedNetworks() {}

  public static ImageDataset fixture(String split) {
    try {
      return new Datasets(Path.of(".")).load("fixture:" + split);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SMALL_CNN after 200 SGD steps of 32 on fixture:train (seed 7). Do not close. */
  public static synchronized Model smallCnn() {
    if (smallCnn == null) {
      smallCnn = FixtureTrainer.train(SMALL_CNN, fixture("train"), InputSpec.mnist(), 200, 32, 0.05f, 7, s -> {});
    }
    return smallCnn;
  }

  /** SMALL_CNN exported to ONNX. */
  public static synchronized byte[] smallCnnOnnx() {
    if (smallCnnOnnx == null) {
      smallCnnOnnx = new OnnxExporter().export(SMALL_CNN, smallCnn().getBlock()).toByteArray();
    }
    return smallCnnOnnx;
  }
}
