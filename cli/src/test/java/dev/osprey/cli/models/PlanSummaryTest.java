package dev.osprey.cli.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.registry.ManifestCodec;
import dev.osprey.model.registry.ModelManifest;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlanSummaryTest {
  private static ModelManifest golden(String name) throws Exception {
    try (InputStream in = PlanSummaryTest.class.getResourceAsStream("/models/" + name)) {
      return new ManifestCodec().decode(in.readAllBytes(), name);
    }
  }

  @Test
  void plansHostsAndWhatAutoServesHere() throws Exception {
    ModelManifest m = golden("golden-manifest-plans.json");
    HostProfile measured = new HostProfile("AMD EPYC", Set.of("avx", "avx2", "avx512_vnni", "fma"), 2);
    List<String> header = List.of(
        "precision plans:",
        "  fp32        accuracy 0.8750  agreement 1.0000  fp32.onnx",
        "  int8        accuracy 0.8125  agreement 0.9375  int8.onnx",
        "  int8-mixed  accuracy 0.8750  agreement 1.0000  int8-mixed.onnx  (ORT without QDQPropagationTransformer)",
        "measured on AMD EPYC [avx avx2 avx512_vnni fma] x2 (batch 64, 1 thread, 3 rounds; samples/s median / slowest):",
        "  fp32        75,000 / 70,000",
        "  int8        25,000 / 24,000",
        "  int8-mixed  120,000 / 110,000  <- auto");
    assertEquals(concat(header, "auto on this host: int8-mixed (precision=auto on AMD EPYC [avx avx2 avx512_vnni fma] x2: "
        + "int8-mixed: 120000 samples/s = 1.60x fp32)"), PlanSummary.lines(m, measured));
    HostProfile other = new HostProfile("Intel Xeon", Set.of("avx2"), 4);
    assertEquals(concat(header, "auto on this host: not measured here; the loader measures the plans on first load (Intel Xeon [avx2] x4)"),
        PlanSummary.lines(m, other));
    assertEquals(List.of(), PlanSummary.lines(golden("golden-manifest.json"), measured), "a version without plans prints nothing more");
  }

  private static List<String> concat(List<String> head, String last) {
    List<String> all = new java.util.ArrayList<>(head);
    all.add(last);
    return all;
  }
}
