package dev.osprey.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.onnx.proto.OnnxMl.ModelProto;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.InputSpec;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QdqQuantizer;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.runtime.FixtureTrainer;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.PyTorchPredictor;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnnxExporterTest {
  static {
    DjlOfflineGuard.install();
  }

  @Test
  void graphHasFoldedLayersNamedIoAndDynamicBatch() throws Exception {
    ModelProto m = ModelProto.parseFrom(TrainedNetworks.smallCnnOnnx());
    // batch norms folded, dropout gone
    assertEquals(
        List.of("Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Identity", "Gemm"),
        OnnxExporter.opTypes(m));
    assertEquals("input", m.getGraph().getInput(0).getName());
    assertEquals("N", m.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
    assertEquals(List.of("logits", "embedding"), m.getGraph().getOutputList().stream().map(v -> v.getName()).toList());
    assertEquals(64, m.getGraph().getOutput(1).getType().getTensorType().getShape().getDim(1).getDimValue());
  }

  /**
   * Parity on 1,000 real test digits. Relative difference of a sample = max_i |onnx_i - djl_i| /
   * max(max_i |djl_i|, 1e-3): the worst element error relative to that sample's largest logit
   * (element-wise division would blow up on logits that happen to be near zero).
   */
  @Test
  void logitsAndEmbeddingMatchDjlOnThousandTestSamples() throws Exception {
    Model model = TrainedNetworks.smallCnn();
    ImageDataset test = TrainedNetworks.fixture("test");
    assertEquals(1000, test.size());
    float[] x = ImageBatches.normalize(test, InputSpec.mnist(), 0, test.size());
    Predictions djl;
    try (PyTorchPredictor p = new PyTorchPredictor(TrainedNetworks.SMALL_CNN, model.getBlock(), model.getNDManager())) {
      djl = p.predict(x, test.size());
    }
    Predictions onnx;
    try (OnnxPredictor p = OnnxPredictor.openCpu(TrainedNetworks.smallCnnOnnx(), OrtConfig.cpu(1))) {
      onnx = p.predict(x, test.size());
    }
    double logitRel = maxRelativeDifference(onnx.logits(), djl.logits(), 10);
    double embRel = maxRelativeDifference(onnx.embedding(), djl.embedding(), 64);
    System.out.printf("parity on %d samples: logits %.2e, embedding %.2e%n", test.size(), logitRel, embRel);
    assertTrue(logitRel <= 1e-4, "logit relative difference " + logitRel);
    assertTrue(embRel <= 1e-4, "embedding relative difference " + embRel);
    int correct = 0;
    for (int i = 0; i < test.size(); i++) {
      assertEquals(djl.argmax(i), onnx.argmax(i), "sample " + i);
      correct += djl.argmax(i) == test.label(i) ? 1 : 0;
    }
    // the model is really trained (parity on a random net would prove less)
    assertTrue(correct >= 900, "accuracy " + correct + "/1000");
    assertFalse(Double.isNaN(logitRel));
  }

  @Test
  void aGlobalAveragePoolingHeadExportsAndQuantizes() throws Exception {
    NetworkSpec spec = Architectures.cnnGap(10);
    ImageDataset train = TrainedNetworks.fixture("train");
    Model model = FixtureTrainer.train(spec, train, InputSpec.mnist(), 300, 32, 0.05f, 11, s -> {});
    try {
      ModelProto fp32 = new OnnxExporter().export(spec, model.getBlock());
      assertEquals(List.of("Conv", "Relu", "MaxPool", "Conv", "Relu", "Conv", "Relu", "GlobalAveragePool", "Flatten", "Gemm",
          "Relu", "Identity", "Gemm"), OnnxExporter.opTypes(fp32));
      ImageDataset test = TrainedNetworks.fixture("test");
      int n = 500;
      float[] x = ImageBatches.normalize(test, InputSpec.mnist(), 0, n);
      Predictions djl;
      try (PyTorchPredictor p = new PyTorchPredictor(spec, model.getBlock(), model.getNDManager())) {
        djl = p.predict(x, n);
      }
      Predictions onnx;
      try (OnnxPredictor p = OnnxPredictor.openCpu(fp32.toByteArray(), OrtConfig.cpu(1))) {
        onnx = p.predict(x, n);
      }
      double logitRel = maxRelativeDifference(onnx.logits(), djl.logits(), 10);
      assertTrue(logitRel <= 1e-4, "logit relative difference " + logitRel);
      // int8: the pooling stays float between a dequantize and a quantize; the answers barely move
      float[] calibration = ImageBatches.normalize(train, InputSpec.mnist(), 0, 500);
      ModelProto int8 = new QdqQuantizer(QuantizationConfig.of(CalibrationMethod.MINMAX)).quantize(fp32, calibration, 500, i -> {})
          .model();
      Predictions q;
      try (OnnxPredictor p = OnnxPredictor.openCpu(int8.toByteArray(), OrtConfig.cpu(1))) {
        q = p.predict(x, n);
      }
      int agree = 0;
      int correct = 0;
      for (int i = 0; i < n; i++) {
        agree += q.argmax(i) == djl.argmax(i) ? 1 : 0;
        correct += djl.argmax(i) == test.label(i) ? 1 : 0;
      }
      assertTrue(correct >= 0.8 * n, "accuracy " + correct + "/" + n);
      assertTrue(agree >= 0.97 * n, "int8 agrees with fp32 on " + agree + "/" + n);
    } finally {
      model.close();
    }
  }

  /** See {@link #logitsAndEmbeddingMatchDjlOnThousandTestSamples()} for the definition. */
  static double maxRelativeDifference(float[] actual, float[] expected, int width) {
    double worst = 0;
    for (int s = 0; s < expected.length / width; s++) {
      double maxAbs = 0;
      double maxErr = 0;
      for (int i = s * width; i < (s + 1) * width; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
        maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
      }
      worst = Math.max(worst, maxErr / Math.max(maxAbs, 1e-3));
    }
    return worst;
  }
}
