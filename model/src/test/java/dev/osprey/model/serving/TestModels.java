package dev.osprey.model.serving;

import ai.djl.Model;
import ai.onnx.proto.OnnxMl.ModelProto;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.model.InputSpec;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.onnx.OnnxExporter;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QdqQuantizer;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.FixtureTrainer;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Small real models for the inference tests and benchmark: the student CNN trained with
 * {@link FixtureTrainer} on fixture:train (fixed seeds, so every run sees the same weights),
 * exported to ONNX, quantized to int8 (min-max calibration on 500 training images) and published
 * to a registry with the int8 accuracy on fixture:test as the manifest's {@code accuracy}.
 * Variants differ by seed, so their predictions differ and a prediction's version can be checked.
 * Trained once per JVM.
 */
public final class TestModels {
  static {
    DjlOfflineGuard.install();
    // One PyTorch thread: on a busy 2-core machine two spinning OpenMP threads made training ~20x slower.
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
  }

  public static final String NAME = "digits";
  public static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
  public static final int VARIANTS = 3;
  private static final int STEPS = 150;
  private static final int CALIBRATION = 500;

  /**
   * One trained variant.
   *
   * @param int8Predictions argmax of the int8 graph on each fixture:test image
   */
  public record Variant(int index, byte[] fp32, byte[] int8, double accuracy, int[] int8Predictions) {}

  private static List<Variant> variants;
  private static ImageDataset test;
  private static ImageDataset train;

  private TestModels() {}

  public static synchronized ImageDataset test() {
    if (test == null) {
      test = load("fixture:test");
    }
    return test;
  }

  public static synchronized ImageDataset train() {
    if (train == null) {
      train = load("fixture:train");
    }
    return train;
  }

  private static ImageDataset load(String spec) {
    try {
      return new Datasets(Path.of(".")).load(spec);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The trained variants (index 0..VARIANTS-1). */
  public static synchronized List<Variant> variants() {
    if (variants == null) {
      List<Variant> v = new ArrayList<>();
      for (int i = 0; i < VARIANTS; i++) {
        v.add(train(i));
      }
      variants = List.copyOf(v);
    }
    return variants;
  }

  private static Variant train(int index) {
    NetworkSpec spec = Architectures.cnnStudent(10);
    try (Model model = FixtureTrainer.train(spec, train(), InputSpec.mnist(), STEPS, 32, 0.05f, 7 + index, s -> {})) {
      ModelProto fp32 = new OnnxExporter().export(spec, model.getBlock());
      float[] calibration = ImageBatches.normalize(train(), InputSpec.mnist(), 0, CALIBRATION);
      ModelProto int8 = new QdqQuantizer(QuantizationConfig.of(CalibrationMethod.MINMAX))
          .quantize(fp32, calibration, CALIBRATION, n -> {}).model();
      byte[] int8Bytes = int8.toByteArray();
      int[] predictions = argmax(int8Bytes, test());
      int correct = 0;
      for (int i = 0; i < predictions.length; i++) {
        correct += predictions[i] == test().label(i) ? 1 : 0;
      }
      return new Variant(index, fp32.toByteArray(), int8Bytes, (double) correct / predictions.length, predictions);
    } catch (Exception e) {
      throw new IllegalStateException("cannot build test model variant " + index, e);
    }
  }

  private static int[] argmax(byte[] onnx, ImageDataset data) throws Exception {
    float[] x = ImageBatches.normalize(data, InputSpec.mnist(), 0, data.size());
    int[] out = new int[data.size()];
    try (OnnxPredictor p = OnnxPredictor.openCpu(onnx, OrtConfig.cpu(1))) {
      Predictions r = p.predict(x, data.size());
      for (int i = 0; i < data.size(); i++) {
        out[i] = r.argmax(i);
      }
    }
    return out;
  }

  /** Publishes variant {@code index} as the next version of {@link #NAME} (labels {@link #DIGITS}). */
  public static ModelVersion publish(ModelRegistry registry, int index) throws IOException {
    return publish(registry, index, DIGITS);
  }

  /** Publishes variant {@code index} with the given labels. */
  public static ModelVersion publish(ModelRegistry registry, int index, List<String> labels) throws IOException {
    Variant v = variants().get(index);
    Path dir = Files.createTempDirectory("osprey-test-model-");
    try {
      Path fp32 = Files.write(dir.resolve("model.fp32.onnx"), v.fp32());
      Path int8 = Files.write(dir.resolve("model.int8.onnx"), v.int8());
      return registry.publish(ModelDraft.builder()
          .setName(NAME)
          .setArchitecture(Architectures.CNN_STUDENT, Map.of("classes", 10))
          .setInput(InputSpec.mnist())
          .setLabels(labels)
          .setFile(FileRoles.FP32_ONNX, fp32)
          .setFile(FileRoles.INT8_ONNX, int8)
          .optMetric("accuracy", v.accuracy())
          .optCalibration("minmax")
          .optLineage(new Lineage(Map.of("fixture:train", (long) STEPS * 32), "fixture", 7L + index, List.of(), 0))
          .build());
    } finally {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Test image {@code i % 1000} as a sample with id {@code prefix-i}. */
  public static Sample sample(String prefix, int i, long timestamp) {
    ImageDataset data = test();
    return Sample.ofTensor(prefix + "-" + i, timestamp, Tensor.ofUint8(data.image(i % data.size()), 1, 28, 28), Map.of());
  }
}
