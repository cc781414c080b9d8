package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.osprey.core.event.Attribution;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Explanation;
import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.Method;
import dev.osprey.explain.model.ModelRuntime;
import dev.osprey.explain.shap.PatchGrid;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExplanationEventsTest {
  static final ImageShape SHAPE = new ImageShape(1, 4, 4);
  static final ExplanationEvents.Subject SUBJECT = new ExplanationEvents.Subject("s-1", "digits", 3, "sampled", 1000L);

  @Test
  void pixelMapBecomesAnEventNamingVersionRuntimeAndSignedResidual() throws Exception {
    float[] v = new float[16];
    v[5] = 0.5f;
    v[9] = -0.7f;
    v[0] = 0.1f;
    // sum = -0.1, f(x) - f(x') = 0.9 - 0.95 = -0.05: residual -0.05
    AttributionMap map = new AttributionMap(Method.INTEGRATED_GRADIENTS, Map.of("steps", "32"), 7, SHAPE, v,
        new ModelRuntime("pytorch", "fp32"), 0.9, 0.95, 0.05, null, Map.of("model", 3.0, "total", 4.0));
    Explanation e = ExplanationEvents.of(map, null, SUBJECT, 2, Map.of("queue", 1.5), 2000L);
    assertEquals("s-1", e.sampleId());
    assertEquals("digits", e.modelName());
    assertEquals(3, e.modelVersion());
    assertEquals("pytorch", e.runtime());
    assertEquals("fp32", e.precision());
    assertEquals("ig", e.method());
    assertEquals("sampled", e.trigger());
    assertEquals(7, e.targetLabel());
    assertEquals(List.of(1, 4, 4), e.attributions().shape());
    assertArrayEquals(v, e.attributionValues());
    assertEquals(List.of(new Attribution(9, -0.7f), new Attribution(5, 0.5f)), e.topFeatures());
    assertEquals(-0.05, e.completenessResidual(), 1e-6);
    assertEquals(Map.of("model", 3.0, "total", 4.0, "queue", 1.5), e.timingsMillis());
    assertEquals(1000L, e.predictionTimestamp());
    assertEquals(2000L, e.timestamp());
    // it survives the strict codec
    EventCodec codec = new EventCodec();
    assertEquals(e, codec.decodeExplanation(codec.encode(e)));
  }

  @Test
  void patchMapNamesEachTopPatchByItsTopLeftPixel() {
    PatchGrid grid = PatchGrid.ofPatchSize(SHAPE, 2, 2); // 4 patches
    double[] phi = {0.1, -0.4, 0.3, 0.05};
    float[] features = {0.1f, -0.4f, 0.3f, 0.05f};
    AttributionMap map = new AttributionMap(Method.KERNEL_SHAP, Map.of(), 1, SHAPE, grid.toPixels(phi),
        new ModelRuntime("onnx-cpu", "int8"), 0.8, 0.75, 0.0, features, Map.of());
    Explanation e = ExplanationEvents.of(map, grid, SUBJECT, 3, Map.of(), 0L);
    // patch 1 starts at pixel 2, patch 2 at pixel 8, patch 0 at 0
    assertEquals(List.of(new Attribution(2, -0.4f), new Attribution(8, 0.3f), new Attribution(0, 0.1f)),
        e.topFeatures());
    assertEquals(0.05 - 0.05, e.completenessResidual(), 1e-6);
    assertEquals("shap", e.method());
    assertThrows(IllegalArgumentException.class, () -> ExplanationEvents.of(map, null, SUBJECT, 3, Map.of(), 0L));
  }

  @Test
  void methodsWithoutCompletenessHaveNoResidual() {
    AttributionMap map = new AttributionMap(Method.GRAD_CAM, Map.of(), 1, SHAPE, new float[16],
        new ModelRuntime("pytorch", "fp32"), 0.8, null, null, null, Map.of());
    assertNull(ExplanationEvents.of(map, null, SUBJECT, 3, Map.of(), 0L).completenessResidual());
  }
}
