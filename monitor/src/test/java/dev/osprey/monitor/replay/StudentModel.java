package dev.osprey.monitor.replay;

import ai.djl.Model;
import ai.onnx.proto.OnnxMl.ModelProto;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.InputSpec;
import dev.osprey.model.Softmax;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.onnx.OnnxExporter;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QdqQuantizer;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.runtime.FixtureTrainer;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.PredictorException;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The served model of the drift tests and benchmark: the CNN student trained with
 * {@link FixtureTrainer}, exported to ONNX and quantized to int8 (min-max on 500 training
 * images), run by ONNX Runtime on one thread, exposing its softmax and its embedding.
 */
public final class StudentModel implements AutoCloseable {
  static {
    DjlOfflineGuard.install();
    // one PyTorch thread: spinning OpenMP threads slow a busy 2-core machine down a lot
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
  }

  private static final int CALIBRATION = 500;
  private static final int BATCH = 250;

  private final OnnxPredictor predictor;
  private final InputSpec input = InputSpec.mnist();

  /** Outputs of a batch: softmax and embedding rows. */
  public record Outputs(List<float[]> softmax, List<float[]> embeddings) {}

  private StudentModel(OnnxPredictor predictor) {
    this.predictor = predictor;
  }

  /**
   * Trains for {@code steps} mini-batches of 64 on {@code train}, exports and quantizes.
   *
   * @param progress told each training step
   */
  public static StudentModel train(ImageDataset train, int steps, long seed, IntConsumer progress) throws Exception {
    NetworkSpec spec = Architectures.cnnStudent(10);
    try (Model model = FixtureTrainer.train(spec, train, InputSpec.mnist(), steps, 64, 0.05f, seed, progress)) {
      ModelProto fp32 = new OnnxExporter().export(spec, model.getBlock());
      float[] calibration = ImageBatches.normalize(train, InputSpec.mnist(), 0, CALIBRATION);
      ModelProto int8 = new QdqQuantizer(QuantizationConfig.of(CalibrationMethod.MINMAX))
          .quantize(fp32, calibration, CALIBRATION, n -> {}).model();
      return new StudentModel(OnnxPredictor.openCpu(int8.toByteArray(), OrtConfig.cpu(1)));
    }
  }

  /** Softmax and embedding of each uint8 image (row-major 28 x 28). */
  public Outputs predict(List<byte[]> images) throws PredictorException {
    int n = input.size();
    List<float[]> softmax = new java.util.ArrayList<>(images.size());
    List<float[]> embeddings = new java.util.ArrayList<>(images.size());
    float[] raw = new float[n];
    for (int from = 0; from < images.size(); from += BATCH) {
      int b = Math.min(BATCH, images.size() - from);
      float[] x = new float[b * n];
      for (int i = 0; i < b; i++) {
        byte[] img = images.get(from + i);
        for (int k = 0; k < n; k++) {
          raw[k] = img[k] & 0xFF;
        }
        input.normalize(raw, x, i * n);
      }
      Predictions p = predictor.predict(x, b);
      for (int i = 0; i < b; i++) {
        softmax.add(Softmax.of(p.logits(i)));
        embeddings.add(p.embedding(i));
      }
    }
    return new Outputs(softmax, embeddings);
  }

  /** Outputs for every image of {@code data}. */
  public Outputs predict(ImageDataset data) throws PredictorException {
    List<byte[]> images = new java.util.ArrayList<>(data.size());
    for (int i = 0; i < data.size(); i++) {
      images.add(data.image(i));
    }
    return predict(images);
  }

  @Override
  public void close() {
    predictor.close();
  }
}
