package dev.osprey.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.data.ImageShifts;
import dev.osprey.core.data.InputSummaries;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.registry.CalibrationMap;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ReferenceProfile;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.monitor.drift.DriftConfig;
import dev.osprey.monitor.drift.DriftEvent;
import dev.osprey.monitor.drift.DriftMonitor;
import dev.osprey.monitor.drift.Observation;
import dev.osprey.monitor.drift.OnlineDriftDetector;
import dev.osprey.monitor.service.ReferenceCatalog;
import dev.osprey.trainer.pipeline.ModelPackager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    detectorsRunFromThePackagedManifest(registry, new Datasets(dir).load("fixture:test"));

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

  /**
   * What the monitor reads from the version the demo's pipeline packaged: every detector, the
   * input-summary one included, and a fitted CBPE map. Rotated inputs with reference-like outputs
   * (a drift only the inputs show) are flagged by the input-summary detector.
   */
  private static void detectorsRunFromThePackagedManifest(ModelRegistry registry, ImageDataset test) throws Exception {
    DriftConfig drift = DriftConfig.defaults().withErt(2_000).withWindow(100).withCalibration(10, 2_000);
    try (ReferenceCatalog catalog = new ReferenceCatalog(registry, drift)) {
      ReferenceCatalog.VersionReference ref = catalog.get("digits", 1);
      assertEquals("", ref.note(), "nothing missing from the packaged version");
      assertEquals(List.of("bbsd-ks", "label-shift-chi2", "confidence-ks", "input-ks", "embedding-mmd"),
          ref.detectors().tests().stream().map(t -> t.test().name()).toList());
      assertTrue(!ref.cbpe().equals(CalibrationMap.identity()) && ref.cbpe().knots().length > 2,
          "a fitted CBPE map, not the identity: " + ref.cbpe().knots().length + " knots");

      ReferenceProfile profile = registry.load("digits", 1).manifest().reference();
      DriftMonitor monitor = new DriftMonitor(drift);
      monitor.reset(ref.detectors());
      List<DriftEvent> events = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        byte[] rotated = ImageShifts.rotate(test.image(i), test.rows(), test.cols(), 30);
        events.addAll(monitor.observe(Observation.of("s" + i, profile.softmaxSample().get(i % profile.softmaxSample().size()))
            .withEmbedding(profile.embeddingSample().get(i % profile.embeddingSample().size()))
            .withInputSummary(InputSummaries.ofUint8(rotated, test.rows(), test.cols()))));
      }
      OnlineDriftDetector input = monitor.detectors().stream().filter(d -> d.name().equals("input-ks")).findFirst().orElseThrow();
      assertEquals(500, input.samplesSeen());
      assertTrue(events.stream().anyMatch(e -> e.detector().equals("input-ks") && e.state() == DriftEvent.State.ALARM),
          "rotated inputs flagged by the input-summary detector: " + events);
    }
  }
}
