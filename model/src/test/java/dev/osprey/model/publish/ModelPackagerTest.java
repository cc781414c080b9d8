package dev.osprey.model.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.onnx.TrainedNetworks;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.PyTorchPredictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPackagerTest {
  @TempDir static Path root;
  static ModelRegistry registry;
  static ModelPackager.Published published;
  static List<String> steps = new ArrayList<>();

  @BeforeAll
  static void publishOnce() throws Exception {
    registry = new ModelRegistry(root);
    ImageDataset train = TrainedNetworks.fixture("train");
    ImageDataset test = TrainedNetworks.fixture("test");
    published = new ModelPackager(registry).publish(new ModelPackager.Request(
        "digits", TrainedNetworks.SMALL_CNN, TrainedNetworks.smallCnn(), InputSpec.mnist(),
        ModelPackager.Request.digitLabels(), train, 500, QuantizationConfig.of(CalibrationMethod.ENTROPY), test,
        Map.of("steps", 200, "learningRate", 0.05), new Lineage(Map.of("fixture:train", 10_000L), "fixture", 7, List.of(), 1),
        null, Map.of("ece", 0.01)), steps::add);
  }

  @Test
  void publishesAVersionWithAllArtifactsAndMeasuredMetrics() throws Exception {
    ModelVersion v = registry.load("digits", 1);
    ModelManifest m = v.manifest();
    assertEquals(published.version().manifest(), m, "the manifest read back equals the one published");
    for (String role : List.of(FileRoles.FP32_ONNX, FileRoles.INT8_ONNX, FileRoles.PARAMS)) {
      assertTrue(Files.isRegularFile(v.file(role)), role);
    }
    // the fixture-trained net is a real classifier, and int8 stays close to fp32
    assertTrue(published.accuracyFp32() > 0.9, "fp32 accuracy " + published.accuracyFp32());
    assertTrue(published.accuracyFp32() - published.accuracyInt8() <= 0.01,
        published.accuracyFp32() + " vs int8 " + published.accuracyInt8());
    assertTrue(published.agreement() >= 0.98, "agreement " + published.agreement());
    assertTrue(published.int8Bytes() * 2 < published.fp32Bytes(), published.int8Bytes() + " vs " + published.fp32Bytes());
    assertEquals(published.accuracyInt8(), m.metrics().get(ModelPackager.ACCURACY), 0);
    assertEquals(published.accuracyFp32(), m.metrics().get(ModelPackager.ACCURACY_FP32), 0);
    assertEquals(published.agreement(), m.metrics().get(ModelPackager.AGREEMENT), 0);
    assertEquals(0.01, m.metrics().get("ece"), 0);
    assertEquals(1000.0, m.metrics().get("reference_samples"), 0);
    assertTrue(m.calibration().startsWith("entropy on 500 of fixture:train"), m.calibration());
    assertEquals("fixture", m.lineage().recipe());
    assertEquals(List.of("export fp32 ONNX", "quantize int8 (entropy, 500 samples)",
        "measure on fixture:test (1000 samples)", "publish digits"), steps);
  }

  @Test
  void referenceProfileDescribesTheInt8ModelOnTheReferenceData() throws Exception {
    var ref = registry.load("digits", 1).manifest().reference();
    assertEquals(10, ref.classPrior().length);
    double sum = 0;
    for (double p : ref.classPrior()) {
      sum += p;
      assertTrue(p > 0.03 && p < 0.2, "a digit's predicted share on balanced MNIST: " + p);
    }
    assertEquals(1, sum, 1e-9);
    assertEquals(256, ref.softmaxSample().size());
    assertEquals(256, ref.embeddingSample().size());
    assertEquals(TrainedNetworks.SMALL_CNN.embeddingSize(), ref.embeddingSample().get(0).length);
  }

  @Test
  void publishedNetworkRebuildsTheDjlModelThatMatchesTheOnnxGraph() throws Exception {
    ModelVersion v = registry.load("digits", 1);
    assertTrue(PublishedNetwork.isAvailable(v));
    ImageDataset test = TrainedNetworks.fixture("test");
    float[] x = ImageBatches.normalize(test, InputSpec.mnist(), 0, 100);
    try (var net = PublishedNetwork.load(v);
        PyTorchPredictor torch = net.newPredictor();
        OnnxPredictor onnx = OnnxPredictor.openCpu(v.file(FileRoles.FP32_ONNX), OrtConfig.cpu(1))) {
      assertEquals(TrainedNetworks.SMALL_CNN, net.spec());
      Predictions a = torch.predict(x, 100);
      Predictions b = onnx.predict(x, 100);
      // per sample: the worst logit error relative to that sample's largest logit (as the exporter test)
      double maxRel = 0;
      for (int s = 0; s < 100; s++) {
        float[] la = a.logits(s);
        float[] lb = b.logits(s);
        double scale = 1e-3;
        double err = 0;
        for (int k = 0; k < la.length; k++) {
          scale = Math.max(scale, Math.abs(la[k]));
          err = Math.max(err, Math.abs(la[k] - lb[k]));
        }
        maxRel = Math.max(maxRel, err / scale);
      }
      assertTrue(maxRel <= 1e-4, "max relative logit difference " + maxRel);
    }
  }

  @Test
  void anImportedStyleVersionWithoutParametersHasNoNetwork() throws Exception {
    ModelVersion v = registry.load("digits", 1);
    ModelVersion stripped = new ModelVersion(new ModelManifest(m(v).schemaVersion(), m(v).name(), m(v).version(), m(v).parentVersion(), m(v).created(),
        new dev.osprey.model.registry.Architecture("imported", Map.of()), m(v).input(), m(v).labels(), m(v).files(),
        m(v).metrics(), m(v).calibration(), m(v).lineage(), m(v).reference()), v.directory());
    assertFalse(PublishedNetwork.isAvailable(stripped));
    assertThrows(ModelLoadException.class, () -> PublishedNetwork.load(stripped));
  }

  @Test
  void requestRejectsLabelsThatDoNotMatchTheHead() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ModelPackager.Request(
        "digits", TrainedNetworks.SMALL_CNN, TrainedNetworks.smallCnn(), InputSpec.mnist(), List.of("a", "b"),
        TrainedNetworks.fixture("test"), 10, QuantizationConfig.of(CalibrationMethod.MINMAX), TrainedNetworks.fixture("test"),
        Map.of(), new Lineage(Map.of(), "x", 1, List.of(), 0), null, Map.of()));
    assertTrue(e.getMessage().contains("10 classes"), e.getMessage());
    assertArrayEquals(new float[] {0.5f, 0.5f}, dev.osprey.model.Softmax.of(new float[] {1000f, 1000f}));
  }

  private static ModelManifest m(ModelVersion v) {
    return v.manifest();
  }
}
