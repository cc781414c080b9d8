package dev.osprey.model.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.DType;
import dev.osprey.model.InputSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestCodecTest {
  private static final String GOLDEN = "/registry/golden-manifest.json";
  private final ManifestCodec codec = new ManifestCodec();

  /** The manifest the golden fixture holds; a change to the schema shows up as a diff here. */
  static ModelManifest goldenManifest() {
    return new ModelManifest(
        1, "tiny", 2, 1, Instant.parse("2026-01-02T03:04:05.678Z"),
        new Architecture("mlp", Map.of("hidden", List.of(16), "dropout", 0.5)),
        new InputSpec(DType.UINT8, List.of(1, 4, 4), 255f, new float[] {0.1307f}, new float[] {0.3081f}),
        List.of("a", "b", "c"),
        Map.of(
            FileRoles.FP32_ONNX, new FileEntry("model.fp32.onnx", "a".repeat(64), 1234),
            FileRoles.INT8_ONNX, new FileEntry("model.int8.onnx", "b".repeat(64), 567)),
        Map.of("accuracy", 0.875, "ece", 0.03125),
        "minmax",
        new Lineage(Map.of("fixture:train", 10000L), "distill", 42L, List.of(Lineage.Teacher.of(ModelRef.of("teacher", 1))), 3),
        new ReferenceProfile(
            new double[] {0.5, 0.25, 0.25},
            new ConfidenceHistogram(new double[] {0, 0.5, 1}, new long[] {1, 3}),
            List.of(new float[] {0.75f, 0.125f, 0.125f}),
            List.of()));
  }

  private static byte[] golden() throws IOException {
    try (InputStream in = ManifestCodecTest.class.getResourceAsStream(GOLDEN)) {
      return in.readAllBytes();
    }
  }

  @Test
  void goldenFixtureStillDecodesAndReencodesByteForByte() throws Exception {
    byte[] golden = golden();
    ModelManifest m = codec.decode(golden, GOLDEN);
    ModelManifest expected = goldenManifest();
    assertEquals(expected.name(), m.name());
    assertEquals(2, m.version());
    assertEquals(1, m.parentVersion());
    assertEquals(expected.created(), m.created());
    assertEquals(expected.architecture(), m.architecture());
    assertEquals(DType.UINT8, m.input().dtype());
    assertEquals(List.of(1, 4, 4), m.input().shape());
    assertEquals(255f, m.input().scale());
    assertArrayEquals(new float[] {0.1307f}, m.input().mean());
    assertArrayEquals(new float[] {0.3081f}, m.input().std());
    assertEquals(expected.labels(), m.labels());
    assertEquals(expected.files(), m.files());
    assertEquals(0.875, m.metric("accuracy"));
    assertEquals("minmax", m.calibration());
    assertEquals(expected.lineage(), m.lineage());
    assertEquals(expected.reference(), m.reference());
    assertEquals(expected, m);
    // Encoding is deterministic, so the fixture is exactly what today's encoder writes.
    assertEquals(new String(golden, StandardCharsets.UTF_8), new String(codec.encode(expected), StandardCharsets.UTF_8));
  }

  @Test
  void optionalFieldsMayBeNull() throws Exception {
    ModelManifest g = goldenManifest();
    ModelManifest imported = new ModelManifest(1, "user", 1, null, g.created(), new Architecture("imported", null),
        g.input(), g.labels(), Map.of(FileRoles.FP32_ONNX, g.file(FileRoles.FP32_ONNX)), null, null, null, null);
    ModelManifest back = codec.decode(codec.encode(imported), "test");
    assertNull(back.parentVersion());
    assertNull(back.lineage());
    assertNull(back.reference());
    assertEquals(Map.of(), back.metrics());
    assertTrue(back.architecture().inferenceOnly());
    assertEquals(imported, back);
  }

  @Test
  void unknownSchemaVersionIsRejected() throws Exception {
    String json = new String(golden(), StandardCharsets.UTF_8).replace("\"schemaVersion\" : 1", "\"schemaVersion\" : 7");
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> codec.decode(json.getBytes(), "m.json"));
    assertEquals("m.json has manifest schemaVersion 7, this Osprey reads only 1", e.getMessage());
  }

  @Test
  void invalidFieldsAreRejectedWithTheFieldNamed() throws Exception {
    String json = new String(golden(), StandardCharsets.UTF_8);
    ModelLoadException version = assertThrows(ModelLoadException.class,
        () -> codec.decode(json.replace("\"version\" : 2", "\"version\" : 0").getBytes(), "m.json"));
    assertTrue(version.getMessage().contains("version must be >= 1, got 0"), version.getMessage());
    ModelLoadException sha = assertThrows(ModelLoadException.class,
        () -> codec.decode(json.replace("a".repeat(64), "xyz").getBytes(), "m.json"));
    assertTrue(sha.getMessage().contains("sha256 must be 64 lower-case hex digits, got 'xyz'"), sha.getMessage());
    ModelLoadException created = assertThrows(ModelLoadException.class,
        () -> codec.decode(json.replace("2026-01-02T03:04:05.678Z", "yesterday").getBytes(), "m.json"));
    assertTrue(created.getMessage().contains("yesterday"), created.getMessage());
    ModelLoadException notJson = assertThrows(ModelLoadException.class, () -> codec.decode("[1]".getBytes(), "m.json"));
    assertEquals("m.json is not a JSON object", notJson.getMessage());
  }

  @Test
  void manifestValidationNamesTheField() {
    ModelManifest g = goldenManifest();
    IllegalArgumentException labels = assertThrows(IllegalArgumentException.class, () -> new ModelManifest(1, "tiny",
        2, 1, g.created(), g.architecture(), g.input(), List.of("a", "a", "c"), g.files(), null, null, null, null));
    assertTrue(labels.getMessage().startsWith("labels must be distinct"), labels.getMessage());
    IllegalArgumentException prior = assertThrows(IllegalArgumentException.class, () -> new ModelManifest(1, "tiny",
        2, 1, g.created(), g.architecture(), g.input(), List.of("a", "b"), g.files(), null, null, null, g.reference()));
    assertEquals("reference.classPrior has 3 classes but there are 2 labels", prior.getMessage());
    IllegalArgumentException parent = assertThrows(IllegalArgumentException.class, () -> new ModelManifest(1, "tiny",
        2, 2, g.created(), g.architecture(), g.input(), g.labels(), g.files(), null, null, null, null));
    assertEquals("parentVersion must be in [1, 1], got 2", parent.getMessage());
    IllegalArgumentException name = assertThrows(IllegalArgumentException.class, () -> new ModelManifest(1, "../x",
        2, 1, g.created(), g.architecture(), g.input(), g.labels(), g.files(), null, null, null, null));
    assertTrue(name.getMessage().startsWith("name must match"), name.getMessage());
  }
}
