package dev.osprey.model.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ManifestCodec;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.PrecisionPlans;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The loader's choice of plan file and session options, from the golden manifests. */
class PlanSelectionTest {
  static final HostProfile MEASURED = new HostProfile("AMD EPYC", Set.of("avx", "avx2", "avx512_vnni", "fma"), 2);
  static final HostProfile OTHER = new HostProfile("Intel Xeon", Set.of("avx", "avx2", "fma"), 8);

  private static ModelManifest manifest(String resource) throws Exception {
    try (InputStream in = PlanSelectionTest.class.getResourceAsStream(resource)) {
      return new ManifestCodec().decode(in.readAllBytes(), resource);
    }
  }

  private static ModelManifest withPlans() throws Exception {
    return manifest("/registry/golden-manifest-plans.json");
  }

  @Test
  void autoOnAMeasuredHostOpensTheRecordedChoiceWithItsSessionOptions() throws Exception {
    assertEquals(MEASURED.key(), "AMD EPYC [avx avx2 avx512_vnni fma] x2");
    PlanSelection.Open open = (PlanSelection.Open) PlanSelection.select(withPlans(), MEASURED, "auto");
    assertEquals("int8-mixed", open.plan());
    assertEquals("int8-mixed.onnx", open.fileRole());
    assertEquals(Set.of("QDQPropagationTransformer"), open.disabledOptimizers());
    assertEquals("precision=auto on AMD EPYC [avx avx2 avx512_vnni fma] x2: int8-mixed: 120000 samples/s = 1.60x fp32", open.reason());
    // null and case do not matter: auto is the default
    assertEquals(open, PlanSelection.select(withPlans(), MEASURED, null));
    assertEquals(open, PlanSelection.select(withPlans(), MEASURED, " AUTO "));
  }

  @Test
  void autoOnAnUnknownHostMustMeasureFirst() throws Exception {
    PlanSelection.Measure m = (PlanSelection.Measure) PlanSelection.select(withPlans(), OTHER, "auto");
    assertEquals(List.of("fp32", "int8", "int8-mixed"), m.candidates());
    assertTrue(m.reason().contains("has no figures for host Intel Xeon [avx avx2 fma] x8"), m.reason());
    // after measuring here, the measured choice is opened
    PrecisionPlans.HostFigures here = new PrecisionPlans.HostFigures("Intel Xeon", List.of("avx", "avx2", "fma"), 8, 64, 1, 3,
        Map.of("fp32", new PrecisionPlans.Rate(90000, 80000), "int8", new PrecisionPlans.Rate(60000, 50000),
            "int8-mixed", new PrecisionPlans.Rate(85000, 70000)), "fp32", "fp32: fastest here");
    PlanSelection.Open open = PlanSelection.choose(withPlans(), here);
    assertEquals("fp32", open.plan());
    assertEquals(FileRoles.FP32_ONNX, open.fileRole());
    assertEquals(Set.of(), open.disabledOptimizers());
    assertEquals("precision=auto, measured here: fp32: fastest here", open.reason());
  }

  @Test
  void explicitPrecisionsOpenThatPlanOnAnyHost() throws Exception {
    for (HostProfile host : List.of(MEASURED, OTHER)) {
      PlanSelection.Open int8 = (PlanSelection.Open) PlanSelection.select(withPlans(), host, "int8");
      assertEquals(FileRoles.INT8_ONNX, int8.fileRole(), "int8 is the full QDQ graph (the TensorRT form)");
      assertEquals(Set.of(), int8.disabledOptimizers());
      assertEquals(FileRoles.FP32_ONNX, ((PlanSelection.Open) PlanSelection.select(withPlans(), host, "fp32")).fileRole());
      PlanSelection.Open mixed = (PlanSelection.Open) PlanSelection.select(withPlans(), host, "int8-mixed");
      assertEquals("int8-mixed.onnx", mixed.fileRole());
      assertEquals(Set.of("QDQPropagationTransformer"), mixed.disabledOptimizers());
    }
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> PlanSelection.select(withPlans(), MEASURED, "int8-matmul"));
    assertEquals("no plan 'int8-matmul' (stored: [fp32, int8, int8-mixed])", unknown.getMessage());
  }

  @Test
  void aVersionWithoutPlansServesAsBefore() throws Exception {
    ModelManifest old = manifest("/registry/golden-manifest.json");
    PlanSelection.Open auto = (PlanSelection.Open) PlanSelection.select(old, MEASURED, "auto");
    assertEquals("int8", auto.plan());
    assertEquals(FileRoles.INT8_ONNX, auto.fileRole());
    assertEquals(Set.of(), auto.disabledOptimizers());
    assertEquals("precision=auto: tiny:2 stores no plans, serving int8.onnx", auto.reason());
    assertEquals(FileRoles.FP32_ONNX, ((PlanSelection.Open) PlanSelection.select(old, OTHER, "fp32")).fileRole());
    assertEquals(FileRoles.INT8_ONNX, ((PlanSelection.Open) PlanSelection.select(old, OTHER, "int8")).fileRole());
    IllegalArgumentException named = assertThrows(IllegalArgumentException.class, () -> PlanSelection.select(old, OTHER, "int8-mixed"));
    assertEquals("tiny:2 stores no precision plans; precision must be auto, fp32 or int8, got 'int8-mixed'", named.getMessage());
    // an imported model has only its fp32 graph: auto serves it, int8 is refused naming the roles
    ModelManifest imported = new ModelManifest(1, "user", 1, null, old.created(), old.architecture(), old.input(), old.labels(),
        Map.of(FileRoles.FP32_ONNX, old.file(FileRoles.FP32_ONNX)), null, null, null, null);
    assertEquals(FileRoles.FP32_ONNX, ((PlanSelection.Open) PlanSelection.select(imported, OTHER, "auto")).fileRole());
    IllegalArgumentException noInt8 = assertThrows(IllegalArgumentException.class, () -> PlanSelection.select(imported, OTHER, "int8"));
    assertTrue(noInt8.getMessage().contains("has no file of role 'int8.onnx'"), noInt8.getMessage());
    assertThrows(IllegalArgumentException.class, () -> PlanSelection.choose(old, withPlans().plans().hosts().values().iterator().next()));
  }

  @Test
  void tensorRtGetsTheFullQdqGraphForAuto() throws Exception {
    PlanSelection.Open trt = PlanSelection.forTensorRt(withPlans(), "auto");
    assertEquals("int8", trt.plan());
    assertEquals(FileRoles.INT8_ONNX, trt.fileRole());
    assertEquals(Set.of(), trt.disabledOptimizers());
    assertTrue(trt.reason().startsWith("precision=auto on TensorRT: the full QDQ int8 graph"), trt.reason());
    assertEquals(FileRoles.FP32_ONNX, PlanSelection.forTensorRt(withPlans(), "fp32").fileRole());
    assertEquals("int8-mixed.onnx", PlanSelection.forTensorRt(withPlans(), "int8-mixed").fileRole());
    assertEquals(FileRoles.INT8_ONNX, PlanSelection.forTensorRt(manifest("/registry/golden-manifest.json"), "auto").fileRole());
  }
}
