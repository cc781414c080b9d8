package dev.osprey.model.registry;

import dev.osprey.model.InputSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Drafts with real files of known bytes; the registry treats file contents as opaque. */
final class DraftFixtures {
  static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05.678Z"), ZoneOffset.UTC);

  private DraftFixtures() {}

  /** Writes {@code size} seeded random bytes. */
  static Path file(Path dir, String name, int size, long seed) throws IOException {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    Files.createDirectories(dir);
    return Files.write(dir.resolve(name), b);
  }

  static ReferenceProfile reference() {
    float[] a = {0.9f, 0.1f, 0, 0, 0, 0, 0, 0, 0, 0};
    float[] b = {0.05f, 0.75f, 0.2f, 0, 0, 0, 0, 0, 0, 0};
    return ReferenceProfile.fromSoftmax(List.of(a, b), List.of(new float[] {1, 2}, new float[] {3, 4}), 10, 2, 7L);
  }

  /** A complete draft: fp32 (3000 B), int8 (1200 B) and params (800 B) files plus every optional field. */
  static ModelDraft.Builder fullDraft(Path sources, String name) throws IOException {
    return ModelDraft.builder()
        .setName(name)
        .setArchitecture("mlp", Map.of("hidden", List.of(800, 800), "dropout", 0.2))
        .setInput(InputSpec.mnist())
        .setLabels(DIGITS)
        .setFile(FileRoles.FP32_ONNX, file(sources, "model.fp32.onnx", 3000, 1))
        .setFile(FileRoles.INT8_ONNX, file(sources, "model.int8.onnx", 1200, 2))
        .setFile(FileRoles.PARAMS, file(sources, "mlp-0005.params", 800, 3))
        .optMetric("accuracy", 0.9861)
        .optMetric("ece", 0.0123)
        .optCalibration("percentile:99.99")
        .optLineage(new Lineage(Map.of("mnist:train", 60000L), "distill", 42L,
            List.of(Lineage.Teacher.of(ModelRef.of("teacher", 3))), 5))
        .optReference(reference());
  }
}
