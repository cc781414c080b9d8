package dev.osprey.model.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.onnx.TrainedNetworks;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.registry.PrecisionPlans;
import dev.osprey.model.runtime.ImageBatches;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A version planned on one host, published, then measured again as if on another. */
class PlanMeasurementTest {
  static final PrecisionPlanner.Options QUICK = new PrecisionPlanner.Options(64, 1, 1, 0.05, 1.03, 0.003, 0.995);

  @Test
  void storedPlansAreRemeasuredHereAndTheChoiceKeepsTheBound(@TempDir Path dir) throws Exception {
    ModelProto fp32 = ModelProto.parseFrom(TrainedNetworks.smallCnnOnnx());
    ImageDataset test = TrainedNetworks.fixture("test");
    int n = test.size();
    PrecisionPlanner.Reference reference = new PrecisionPlanner.Reference(ImageBatches.normalize(test, InputSpec.mnist(), 0, n),
        ImageBatches.labels(test, 0, n), 784);
    PrecisionPlanner.Result r = new PrecisionPlanner(QUICK).plan(fp32, QuantizationConfig.of(CalibrationMethod.MINMAX),
        java.util.Arrays.copyOf(reference.inputs(), 200 * 784), 200, reference, line -> {});

    ModelDraft.Builder draft = ModelDraft.builder().setName("cnn").setArchitecture("cnn", Map.of()).setInput(InputSpec.mnist())
        .setLabels(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
    Map<String, String> hashes = new HashMap<>();
    for (Map.Entry<String, PrecisionPlan> p : r.plans().entrySet()) {
      Path file = Files.write(dir.resolve(p.getValue().fileName()), r.graphs().get(p.getKey()));
      draft.setFile(p.getValue().fileName(), file);
      hashes.put(p.getKey(), ModelRegistry.sha256(file));
    }
    PrecisionPlans section = PlanSection.of(r, QUICK, hashes);
    ModelVersion v = new ModelRegistry(dir.resolve("reg")).publish(draft.optPlans(section).build());

    // the rebuilt plans open with the session options they were measured with
    Map<String, PrecisionPlan> rebuilt = PlanSection.plans(v.manifest().plans());
    assertEquals(r.plans().keySet(), rebuilt.keySet());
    r.plans().forEach((name, plan) -> {
      assertEquals(plan.disabledOptimizers(), rebuilt.get(name).disabledOptimizers(), name);
      assertEquals(plan.isFp32(), rebuilt.get(name).isFp32(), name);
      if (!plan.isFp32()) {
        assertEquals(plan.quantization().opTypes(), rebuilt.get(name).quantization().opTypes(), name);
        assertEquals(plan.quantization().excludedNodes(), rebuilt.get(name).quantization().excludedNodes(), name);
      }
    });

    HostProfile elsewhere = new HostProfile("a CPU never seen", Set.of("asimd"), 64);
    assertInstanceOf(PlanSelection.Measure.class, PlanSelection.select(v.manifest(), elsewhere, "auto"));
    PrecisionPlans.HostFigures here = new PlanMeasurement(QUICK)
        .measure(v, PlanMeasurement.syntheticInputs(InputSpec.mnist(), 256, 7));
    assertEquals(HostProfile.current().cpuModel(), here.cpuModel());
    assertEquals(section.candidates().keySet(), here.samplesPerSecond().keySet());
    here.samplesPerSecond().values().forEach(rate -> assertTrue(rate.median() >= rate.min() && rate.min() > 0, rate.toString()));
    PlanSelection.Open open = PlanSelection.choose(v.manifest(), here);
    assertEquals(here.chosen(), open.plan());
    PrecisionPlans.Candidate chosen = section.candidate(open.plan());
    assertTrue(section.candidate("fp32").accuracy() - chosen.accuracy() <= 0.003 + 1e-12, here.reason());
    assertTrue(open.plan().equals("fp32") || chosen.agreement() >= 0.995, here.reason());
    assertEquals(Set.copyOf(chosen.disabledOptimizers()), open.disabledOptimizers());
  }
}
