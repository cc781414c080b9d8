package dev.osprey.model.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest's {@code plans} section: exact JSON, validation against the files, old manifests unchanged. */
class PlansManifestTest {
  static final String GOLDEN_PLANS = "/registry/golden-manifest-plans.json";
  static final String HOST = "AMD EPYC [avx avx2 avx512_vnni fma] x2";
  private final ManifestCodec codec = new ManifestCodec();

  /** The golden manifest with three plans (fp32, full int8, int8 with the first conv kept fp32) measured on one host. */
  static ModelManifest withPlans() {
    ModelManifest g = ManifestCodecTest.goldenManifest();
    Map<String, FileEntry> files = new java.util.TreeMap<>(g.files());
    files.put("int8-mixed.onnx", new FileEntry("int8-mixed.onnx", "c".repeat(64), 890));
    return new ModelManifest(1, g.name(), g.version(), g.parentVersion(), g.created(), g.architecture(), g.input(), g.labels(),
        files, g.metrics(), g.calibration(), g.lineage(), g.reference(), plans());
  }

  static PrecisionPlans plans() {
    return new PrecisionPlans(
        Map.of(
            "fp32", new PrecisionPlans.Candidate(FileRoles.FP32_ONNX, "a".repeat(64), "the fp32 graph", List.of(), List.of(),
                List.of(), 0.875, 1.0),
            "int8", new PrecisionPlans.Candidate(FileRoles.INT8_ONNX, "b".repeat(64), "every Conv/Gemm/MatMul in QDQ int8",
                List.of("MatMul", "Conv", "Gemm"), List.of(), List.of(), 0.8125, 0.9375),
            "int8-mixed", new PrecisionPlans.Candidate("int8-mixed.onnx", "c".repeat(64), "int8 except [conv0] in fp32",
                List.of("Conv", "Gemm", "MatMul"), List.of("conv0"), List.of("QDQPropagationTransformer"), 0.875, 1.0)),
        Map.of(HOST, new PrecisionPlans.HostFigures("AMD EPYC", List.of("fma", "avx", "avx2", "avx512_vnni"), 2, 64, 1, 3,
            Map.of("fp32", new PrecisionPlans.Rate(75000, 70000), "int8", new PrecisionPlans.Rate(25000, 24000),
                "int8-mixed", new PrecisionPlans.Rate(120000, 110000)),
            "int8-mixed", "int8-mixed: 120000 samples/s = 1.60x fp32")));
  }

  private static String golden() throws IOException {
    try (InputStream in = PlansManifestTest.class.getResourceAsStream(GOLDEN_PLANS)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void plansRoundTripToTheExactGoldenJson() throws Exception {
    ModelManifest m = withPlans();
    assertEquals(golden(), new String(codec.encode(m), StandardCharsets.UTF_8));
    ModelManifest back = codec.decode(golden().getBytes(StandardCharsets.UTF_8), GOLDEN_PLANS);
    assertEquals(m, back);
    assertTrue(back.hasPlans());
    PrecisionPlans.Candidate mixed = back.plans().candidate("int8-mixed");
    assertEquals(List.of("conv0"), mixed.fp32Nodes());
    assertEquals(List.of("Conv", "Gemm", "MatMul"), mixed.opTypes());
    assertEquals(List.of("QDQPropagationTransformer"), mixed.disabledOptimizers());
    assertEquals(120000.0, back.plans().hosts().get(HOST).samplesPerSecond().get("int8-mixed").median());
    assertEquals("int8-mixed", back.plans().hosts().get(HOST).chosen());
  }

  @Test
  void aManifestWithoutPlansKeepsItsBytesAndReadsAsBefore() throws Exception {
    ModelManifest old = ManifestCodecTest.goldenManifest();
    String json = new String(codec.encode(old), StandardCharsets.UTF_8);
    assertFalse(json.contains("\"plans\""), "no plans key is written for a version without plans");
    ModelManifest back = codec.decode(json.getBytes(StandardCharsets.UTF_8), "old");
    assertNull(back.plans());
    assertFalse(back.hasPlans());
    // an explicit null reads the same
    ModelManifest explicitNull = codec.decode(json.replaceFirst("\\{", "{ \"plans\" : null,").getBytes(StandardCharsets.UTF_8), "old");
    assertEquals(old, explicitNull);
  }

  @Test
  void aPlanMustNameAFileOfTheVersionWithTheSameHash() throws Exception {
    String json = golden();
    ModelLoadException wrongHash = assertThrows(ModelLoadException.class, () -> codec.decode(
        json.replace("\"sha256\" : \"" + "c".repeat(64) + "\",\n      \"size\"", "\"sha256\" : \"" + "d".repeat(64) + "\",\n      \"size\"")
            .getBytes(StandardCharsets.UTF_8), "m.json"));
    assertTrue(wrongHash.getMessage().contains("plan 'int8-mixed' records sha256 " + "c".repeat(64) + " but file role 'int8-mixed.onnx' has "
        + "d".repeat(64)), wrongHash.getMessage());
    ModelManifest g = ManifestCodecTest.goldenManifest();
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> new ModelManifest(1, g.name(), g.version(),
        g.parentVersion(), g.created(), g.architecture(), g.input(), g.labels(), g.files(), g.metrics(), g.calibration(), g.lineage(),
        g.reference(), plans()));
    assertEquals("plan 'int8-mixed' names file role 'int8-mixed.onnx' that is not in files [fp32.onnx, int8.onnx]", missing.getMessage());
  }

  @Test
  void theRegistryPublishesPlansAndVerifiesEveryPlanFile(@TempDir Path dir) throws Exception {
    ModelRegistry registry = new ModelRegistry(dir.resolve("reg"), DraftFixtures.CLOCK, codec);
    ModelDraft.Builder draft = DraftFixtures.fullDraft(dir.resolve("src"), "digits");
    Path mixed = DraftFixtures.file(dir.resolve("src"), "int8-mixed.onnx", 900, 4);
    draft.setFile("int8-mixed.onnx", mixed);
    PrecisionPlans p = plans();
    Map<String, PrecisionPlans.Candidate> real = new java.util.TreeMap<>();
    Map<String, String> hashes = Map.of("fp32", ModelRegistry.sha256(dir.resolve("src/model.fp32.onnx")),
        "int8", ModelRegistry.sha256(dir.resolve("src/model.int8.onnx")), "int8-mixed", ModelRegistry.sha256(mixed));
    p.candidates().forEach((name, c) -> real.put(name, new PrecisionPlans.Candidate(c.file(), hashes.get(name), c.description(),
        c.opTypes(), c.fp32Nodes(), c.disabledOptimizers(), c.accuracy(), c.agreement())));
    ModelVersion v = registry.publish(draft.optPlans(new PrecisionPlans(real, p.hosts())).build());
    assertEquals(new PrecisionPlans(real, p.hosts()), registry.load("digits", 1).manifest().plans());
    assertEquals(4, registry.verify("digits", 1).filesChecked());

    Files.write(v.file("int8-mixed.onnx"), new byte[900]);
    Verification broken = registry.verify("digits", 1);
    assertEquals(List.of("file int8-mixed.onnx (role int8-mixed.onnx) has sha256 " + ModelRegistry.sha256(v.file("int8-mixed.onnx"))
        + ", expected " + hashes.get("int8-mixed")), broken.problems());

    // a plan whose file is not part of the draft is refused before anything is copied
    IllegalArgumentException unset = assertThrows(IllegalArgumentException.class,
        () -> DraftFixtures.fullDraft(dir.resolve("src2"), "digits").optPlans(plans()).build());
    assertEquals("plan 'int8-mixed' names file role 'int8-mixed.onnx' that is not set (roles: [fp32.onnx, int8.onnx, params])",
        unset.getMessage());
  }

  @Test
  void plansSectionValidation() {
    PrecisionPlans.Candidate fp32 = plans().candidate("fp32");
    IllegalArgumentException noFp32 = assertThrows(IllegalArgumentException.class,
        () -> new PrecisionPlans(Map.of("int8", plans().candidate("int8")), Map.of()));
    assertEquals("plans.candidates must hold the 'fp32' plan, got [int8]", noFp32.getMessage());
    PrecisionPlans.HostFigures host = plans().hosts().get(HOST);
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> new PrecisionPlans(Map.of("fp32", fp32), Map.of(HOST, host)));
    assertTrue(unknown.getMessage().contains("that are not stored [fp32]"), unknown.getMessage());
    IllegalArgumentException chosen = assertThrows(IllegalArgumentException.class, () -> new PrecisionPlans.HostFigures("cpu",
        List.of(), 1, 64, 1, 3, Map.of("fp32", new PrecisionPlans.Rate(1, 1)), "int8", ""));
    assertEquals("chosen plan 'int8' has no measured rate [fp32]", chosen.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new PrecisionPlans.Rate(Double.NaN, 1));
    assertThrows(IllegalArgumentException.class, () -> plans().candidate("int4"));
  }
}
