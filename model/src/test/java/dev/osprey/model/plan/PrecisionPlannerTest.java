package dev.osprey.model.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.onnx.TrainedNetworks;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.runtime.ImageBatches;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The planner on a trained CNN: every plan is built, runs, and the choice respects the accuracy bound. */
class PrecisionPlannerTest {

  @Test
  void buildsMeasuresAndChoosesWithinTheBound() throws Exception {
    ModelProto fp32 = ModelProto.parseFrom(TrainedNetworks.smallCnnOnnx());
    ImageDataset test = TrainedNetworks.fixture("test");
    int n = test.size();
    float[] x = ImageBatches.normalize(test, InputSpec.mnist(), 0, n);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = test.label(i);
    }
    int calib = Math.min(200, n);
    float[] calibration = java.util.Arrays.copyOf(x, calib * 784);
    List<String> lines = new ArrayList<>();
    PrecisionPlanner.Options options = new PrecisionPlanner.Options(64, 1, 2, 0.1, 1.03, 0.003, 0.995);
    PrecisionPlanner.Result r = new PrecisionPlanner(options).plan(fp32, QuantizationConfig.of(CalibrationMethod.PERCENTILE),
        calibration, calib, new PrecisionPlanner.Reference(x, labels, 784), lines::add);
    lines.forEach(System.out::println);
    r.figures().forEach(System.out::println);
    System.out.println(r.choice());

    assertTrue(r.plans().containsKey(PrecisionPlan.FP32));
    assertTrue(r.plans().containsKey(PrecisionPlan.INT8));
    assertTrue(r.plans().containsKey(PrecisionPlan.INT8_MATMUL));
    assertEquals(r.plans().keySet(), r.graphs().keySet());
    PlanFigures fp32Figures = r.figures().stream().filter(f -> f.plan().equals("fp32")).findFirst().orElseThrow();
    assertEquals(1.0, fp32Figures.agreement(), 0.0);
    for (PlanFigures f : r.figures()) {
      assertTrue(f.samplesPerSecond() > 0 && f.minSamplesPerSecond() <= f.samplesPerSecond(), f.toString());
      assertTrue(f.accuracy() > 0.8, f.toString());
    }
    PlanFigures chosen = r.figures().stream().filter(f -> f.plan().equals(r.choice().plan())).findFirst().orElseThrow();
    assertTrue(fp32Figures.accuracy() - chosen.accuracy() <= 0.003 + 1e-12);
    assertTrue(chosen.plan().equals("fp32") || chosen.agreement() >= 0.995);
    assertEquals(List.of("Conv:", "Conv:", "Gemm:", "Gemm:"),
        PrecisionPlanner.quantizableNodes(fp32).stream().map(s -> s.substring(0, s.indexOf(':') + 1)).toList());
  }
}
