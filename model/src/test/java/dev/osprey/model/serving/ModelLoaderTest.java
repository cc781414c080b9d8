package dev.osprey.model.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.model.InputSpec;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.onnx.OnnxExporter;
import dev.osprey.model.publish.PublishedNetwork;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.runtime.FixtureTrainer;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import java.util.Map;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.RuntimeKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderTest {
  @TempDir Path tmp;
  private ModelRegistry registry;
  private final ServingOptions config = ServingOptions.cpuInt8(64, "target/tensorrt-cache");

  @BeforeEach
  void publish() throws Exception {
    registry = new ModelRegistry(tmp.resolve("registry"));
    TestModels.publish(registry, 0);
    TestModels.publish(registry, 1);
  }

  private static ModelActivation activation(int version) {
    return ModelActivation.of(TestModels.NAME, version, 1L, "test", "test");
  }

  @Test
  void loadsInt8OnCpuAndWarmsUp() throws Exception {
    LoadedModel m = new ModelLoader(config, registry, Clock.systemUTC()).load(activation(1), null);
    try {
      assertEquals("digits:1", m.ref().toString());
      assertEquals(RuntimeKind.ONNX_CPU, m.runtime());
      assertEquals("int8", m.precision());
      assertFalse(m.fellBack());
    } finally {
      m.release();
    }
    assertTrue(m.isClosed());
  }

  @Test
  void pytorchRuntimeServesThePackagedNetworkLikeItsFp32Graph() throws Exception {
    // a version with the network stored as the trainer's pipeline stores it (spec + DJL params beside the ONNX graph)
    ModelVersion packaged;
    ImageDataset test = TestModels.test();
    try (DjlNetwork net = DjlNetwork.of(Architectures.cnnStudent(10), FixtureTrainer.train(Architectures.cnnStudent(10),
        TestModels.train(), InputSpec.mnist(), 100, 32, 0.05f, 3, s -> {}))) {
      Path work = Files.createDirectories(tmp.resolve("packaged"));
      Path fp32 = Files.write(work.resolve("model.fp32.onnx"), new OnnxExporter().export(net.spec(), net.block()).toByteArray());
      ModelDraft.Builder draft = ModelDraft.builder().setName(TestModels.NAME).setInput(InputSpec.mnist()).setLabels(TestModels.DIGITS)
          .setFile(FileRoles.FP32_ONNX, fp32).optLineage(new Lineage(Map.of(), "fixture", 3, List.of(), 0));
      packaged = registry.publish(PublishedNetwork.addTo(draft, net, Map.of(), work).build());
    }
    int version = packaged.manifest().version();
    LoadedModel torch = new ModelLoader(config.withRuntime(RuntimeKind.PYTORCH), registry, Clock.systemUTC())
        .load(activation(version), null);
    try (OnnxPredictor fp32 = OnnxPredictor.openCpu(packaged.file(FileRoles.FP32_ONNX), OrtConfig.cpu(1))) {
      assertEquals(RuntimeKind.PYTORCH, torch.runtime());
      assertEquals("fp32", torch.precision());
      float[] x = ImageBatches.normalize(test, InputSpec.mnist(), 0, 200);
      Predictions a = torch.predictor().predict(x, 200);
      Predictions b = fp32.predict(x, 200);
      for (int i = 0; i < 200; i++) {
        assertEquals(b.argmax(i), a.argmax(i), "sample " + i);
      }
    } finally {
      torch.release();
    }
    assertTrue(torch.isClosed());
    // an inference-only version (no network, e.g. imported ONNX) cannot run on PyTorch
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> new ModelLoader(config.withRuntime(RuntimeKind.PYTORCH), registry, Clock.systemUTC()).load(activation(1), null));
    assertTrue(e.getMessage().contains("no DJL network"), e.getMessage());
  }

  @Test
  void autoFallsBackToCpuWithALabel() throws Exception {
    ModelLoader loader = new ModelLoader(config.withRuntime(RuntimeKind.AUTO), registry, Clock.systemUTC());
    LoadedModel first = loader.load(activation(1), null);
    LoadedModel second = loader.load(activation(2), first);
    assertEquals(RuntimeKind.ONNX_CPU, second.runtime());
    assertEquals(RuntimeKind.AUTO, second.requestedRuntime());
    assertTrue(first.fellBack());
    assertTrue(second.fellBack());
    first.release();
    second.release();
  }

  /** No GPU and a CPU-only ONNX Runtime here: asking for TensorRT alone fails with the runtime's reason. */
  @Test
  void tensorRtOnlyFailsCleanlyWithoutAGpu() {
    ModelLoader loader = new ModelLoader(config.withRuntime(RuntimeKind.ONNX_TENSORRT), registry, Clock.systemUTC());
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> loader.load(activation(1), null));
    assertTrue(e.getMessage().startsWith("runtime onnx-tensorrt cannot open digits:1: TensorRT could not load the model"),
        e.getMessage());
  }

  @Test
  void corruptOrMissingVersionsAndReplacedManifestsAreRefused() throws Exception {
    ModelLoader loader = new ModelLoader(config, registry, Clock.systemUTC());
    ModelLoadException missing = assertThrows(ModelLoadException.class, () -> loader.load(activation(9), null));
    assertTrue(missing.getMessage().startsWith("no model digits:9 in registry"), missing.getMessage());

    ModelLoadException hash = assertThrows(ModelLoadException.class,
        () -> loader.load(activation(1).withManifestSha256("00".repeat(32)), null));
    assertTrue(hash.getMessage().contains("but the activation names 0000"), hash.getMessage());

    ModelVersion v2 = registry.load(TestModels.NAME, 2);
    byte[] bytes = Files.readAllBytes(v2.file(FileRoles.INT8_ONNX));
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(v2.file(FileRoles.INT8_ONNX), bytes);
    ModelLoadException corrupt = assertThrows(ModelLoadException.class, () -> loader.load(activation(2), null));
    assertTrue(corrupt.getMessage().contains("is corrupt or incomplete: file model.int8.onnx (role int8.onnx) has sha256"),
        corrupt.getMessage());
  }

  @Test
  void aVersionWithOtherLabelsDoesNotFitTheServingModel() throws Exception {
    TestModels.publish(registry, 2, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
    ModelLoader loader = new ModelLoader(config, registry, Clock.systemUTC());
    LoadedModel serving = loader.load(activation(1), null);
    ModelLoader.IncompatibleModelException e = assertThrows(ModelLoader.IncompatibleModelException.class,
        () -> loader.load(activation(3), serving));
    assertTrue(e.getMessage().startsWith("digits:3 has labels [a, b"), e.getMessage());
    assertFalse(serving.isClosed());
    serving.release();
  }
}
