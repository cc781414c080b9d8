package dev.osprey.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.trainer.pipeline.ModelPackager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoModelTest {
  static {
    DjlOfflineGuard.install();
  }

  @Test
  void trainsAndPublishesOnceThenReusesThenReplacesACorruptVersion(@TempDir Path dir) throws Exception {
    ModelRegistry registry = new ModelRegistry(dir);
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    DemoModel model = new DemoModel(registry, new Datasets(dir), new PrintStream(text, true));

    ModelVersion first = model.ensure("digits");
    assertEquals(1, first.manifest().version());
    double accuracy = first.manifest().metrics().get(ModelPackager.ACCURACY);
    assertTrue(accuracy > 0.93, "int8 accuracy on fixture:test after the demo's budget: " + accuracy);

    ModelVersion again = model.ensure("digits");
    assertEquals(first.manifest(), again.manifest());
    assertTrue(text.toString().contains("reusing digits:1"), text.toString());

    // a damaged artifact is not served: the demo makes version 2 instead, with 1 as its parent
    Path int8 = first.file(FileRoles.INT8_ONNX);
    byte[] bytes = Files.readAllBytes(int8);
    bytes[bytes.length / 2] ^= 1;
    Files.write(int8, bytes);
    ModelVersion replaced = model.ensure("digits");
    assertEquals(2, replaced.manifest().version());
    assertEquals(1, replaced.manifest().parentVersion());
  }
}
