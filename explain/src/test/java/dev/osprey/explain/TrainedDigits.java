package dev.osprey.explain;

import ai.djl.Model;
import ai.onnx.proto.OnnxMl.ModelProto;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.InputSpec;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.onnx.OnnxExporter;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QdqQuantizer;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.runtime.FixtureTrainer;
import dev.osprey.model.runtime.ImageBatches;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The served architecture (cnn-student) trained briefly on fixture:train with a fixed seed, and
 * its int8 QDQ graph (min-max calibration on 500 training images), as the inference tests build
 * them. Trained once per JVM; do not close what it hands out.
 */
public final class TrainedDigits {
  static {
    DjlOfflineGuard.install();
    // One PyTorch thread: on a busy 2-core machine spinning OpenMP threads slow everything down.
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", "1");
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
  }

  public static final NetworkSpec SPEC = Architectures.cnnStudent(10);
  public static final InputSpec INPUT = InputSpec.mnist();
  private static final int STEPS = 300;
  private static final int CALIBRATION = 500;

  private static Model model;
  private static byte[] int8;
  private static ImageDataset train;
  private static ImageDataset test;

  private TrainedDigits() {}

  public static synchronized ImageDataset train() {
    if (train == null) {
      train = load("fixture:train");
    }
    return train;
  }

  public static synchronized ImageDataset test() {
    if (test == null) {
      test = load("fixture:test");
    }
    return test;
  }

  /** cnn-student after 300 SGD steps of 32 (seed 11). */
  public static synchronized Model model() {
    if (model == null) {
      model = FixtureTrainer.train(SPEC, train(), INPUT, STEPS, 32, 0.05f, 11, s -> {});
    }
    return model;
  }

  /** The trained model exported and quantized to int8 QDQ. */
  public static synchronized byte[] int8() {
    if (int8 == null) {
      try {
        ModelProto fp32 = new OnnxExporter().export(SPEC, model().getBlock());
        float[] calibration = ImageBatches.normalize(train(), INPUT, 0, CALIBRATION);
        int8 = new QdqQuantizer(QuantizationConfig.of(CalibrationMethod.MINMAX))
            .quantize(fp32, calibration, CALIBRATION, n -> {}).model().toByteArray();
      } catch (Exception e) {
        throw new IllegalStateException("cannot quantize the test model", e);
      }
    }
    return int8;
  }

  /** Test images {@code [from, from + count)}, normalized, one row each. */
  public static float[][] testInputs(int from, int count) {
    return rows(ImageBatches.normalize(test(), INPUT, from, count), count);
  }

  /** Training images {@code [from, from + count)}, normalized (a background / reference set). */
  public static float[][] trainInputs(int from, int count) {
    return rows(ImageBatches.normalize(train(), INPUT, from, count), count);
  }

  /** The normalized value of a black pixel. */
  public static float black() {
    return (0f - INPUT.mean()[0]) / INPUT.std()[0];
  }

  private static float[][] rows(float[] flat, int count) {
    int n = flat.length / count;
    float[][] out = new float[count][];
    for (int i = 0; i < count; i++) {
      out[i] = java.util.Arrays.copyOfRange(flat, i * n, (i + 1) * n);
    }
    return out;
  }

  private static ImageDataset load(String spec) {
    try {
      return new Datasets(Path.of(".")).load(spec);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
