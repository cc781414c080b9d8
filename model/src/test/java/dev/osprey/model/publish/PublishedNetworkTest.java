package dev.osprey.model.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.onnx.TrainedNetworks;
import dev.osprey.model.registry.Architecture;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.PyTorchPredictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stored network of a registry version: written by {@link PublishedNetwork#addTo}, rebuilt by {@link PublishedNetwork#load}. */
class PublishedNetworkTest {
  @TempDir static Path root;
  static ModelRegistry registry;
  static ModelVersion published;

  @BeforeAll
  static void publishOnce() throws Exception {
    registry = new ModelRegistry(root);
    Path fp32 = Files.write(root.resolve("model.fp32.onnx"), TrainedNetworks.smallCnnOnnx());
    ModelDraft.Builder draft = ModelDraft.builder().setName("digits").setInput(InputSpec.mnist())
        .setLabels(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")).setFile(FileRoles.FP32_ONNX, fp32);
    // borrowed, not owned: TrainedNetworks keeps the model for every test of this JVM
    DjlNetwork net = DjlNetwork.of(TrainedNetworks.SMALL_CNN, TrainedNetworks.smallCnn());
    PublishedNetwork.addTo(draft, net, Map.of("steps", 200), Files.createDirectory(root.resolve("work")));
    published = registry.publish(draft.build());
  }

  @Test
  void recordsTheSpecBesideTheTrainingHyperparametersAsLoadedJsonValues() throws Exception {
    ModelVersion v = registry.load("digits", 1);
    assertEquals(published.manifest(), v.manifest(), "the manifest read back equals the one published");
    assertEquals(TrainedNetworks.SMALL_CNN.name(), v.manifest().architecture().name());
    assertEquals(200, v.manifest().architecture().hyperparameters().get("steps"));
    assertEquals(TrainedNetworks.SMALL_CNN, PublishedNetwork.spec(v));
    assertTrue(v.file(FileRoles.PARAMS).getFileName().toString().startsWith(TrainedNetworks.SMALL_CNN.name() + "-"));
    var e = assertThrows(IllegalArgumentException.class, () -> PublishedNetwork.addTo(ModelDraft.builder(),
        DjlNetwork.of(TrainedNetworks.SMALL_CNN, TrainedNetworks.smallCnn()), Map.of(PublishedNetwork.NETWORK_KEY, 1), root));
    assertTrue(e.getMessage().contains("reserved"), e.getMessage());
  }

  @Test
  void rebuildsTheDjlModelThatMatchesTheOnnxGraph() throws Exception {
    ModelVersion v = registry.load("digits", 1);
    assertTrue(PublishedNetwork.isAvailable(v));
    ImageDataset test = TrainedNetworks.fixture("test");
    float[] x = ImageBatches.normalize(test, InputSpec.mnist(), 0, 100);
    try (DjlNetwork net = PublishedNetwork.load(v);
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
    ModelManifest m = registry.load("digits", 1).manifest();
    ModelVersion stripped = new ModelVersion(new ModelManifest(m.schemaVersion(), m.name(), m.version(), m.parentVersion(), m.created(),
        new Architecture("imported", Map.of()), m.input(), m.labels(), m.files(), m.metrics(), m.calibration(), m.lineage(),
        m.reference()), published.directory());
    assertFalse(PublishedNetwork.isAvailable(stripped));
    assertThrows(ModelLoadException.class, () -> PublishedNetwork.load(stripped));
  }
}
