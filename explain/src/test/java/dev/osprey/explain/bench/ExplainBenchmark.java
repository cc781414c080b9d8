package dev.osprey.explain.bench;

import dev.osprey.explain.Explainer;
import dev.osprey.explain.TrainedDigits;
import dev.osprey.explain.model.DjlNetwork;
import dev.osprey.explain.model.PredictorScoreFunction;
import dev.osprey.explain.saliency.Baseline;
import dev.osprey.explain.saliency.GradCam;
import dev.osprey.explain.saliency.IntegratedGradients;
import dev.osprey.explain.saliency.Occlusion;
import dev.osprey.explain.saliency.SmoothGrad;
import dev.osprey.explain.saliency.VanillaGradient;
import dev.osprey.explain.shap.KernelShap;
import dev.osprey.explain.service.MethodSettings;
import dev.osprey.explain.shap.PatchGrid;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Per-sample latency of each explainer on the served architecture (a measurement, not a test):
 * gradient methods on the fp32 PyTorch twin, occlusion and KernelSHAP on the int8 ONNX graph
 * (ONNX Runtime CPU). Prints a markdown table with median and p95 per method and the load average.
 *
 * <p>Args: {@code [samples] [ort-threads]} (default 100 samples, 2 ORT intra-op threads). PyTorch
 * threads follow {@code -Dai.djl.pytorch.num_threads} (default 1, see TrainedDigits).
 */
public final class ExplainBenchmark {
  private ExplainBenchmark() {}

  public static void main(String[] args) throws Exception {
    int samples = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int ortThreads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    System.err.println("training the test model...");
    float[][] x = TrainedDigits.testInputs(0, samples);
    try (DjlNetwork twin = DjlNetwork.borrow(TrainedDigits.SPEC, TrainedDigits.model().getBlock(),
            TrainedDigits.model().getNDManager());
        OnnxPredictor int8 = OnnxPredictor.openCpu(TrainedDigits.int8(), OrtConfig.cpu(ortThreads))) {
      PredictorScoreFunction served = new PredictorScoreFunction(int8, twin.inputShape(), 10, "int8", 1024);
      float black = TrainedDigits.black();
      Map<String, Explainer> methods = new LinkedHashMap<>();
      methods.put("gradient", new VanillaGradient(twin, VanillaGradient.Params.defaults()));
      methods.put("smoothgrad n=16", new SmoothGrad(twin, SmoothGrad.Params.defaults()));
      methods.put("ig 32 steps (black)", new IntegratedGradients(twin,
          IntegratedGradients.Params.of(Baseline.black(TrainedDigits.INPUT))));
      methods.put("gradcam", new GradCam(twin, GradCam.Params.defaults()));
      methods.put("occlusion 4x4/4 (int8)", new Occlusion(served, new Occlusion.Params(4, 4, black)));
      methods.put("kernelshap 49 patches, 512 coalitions, 8 background (int8)", new KernelShap(served,
          TrainedDigits.trainInputs(0, 8), new KernelShap.Params(PatchGrid.ofPatchSize(twin.inputShape(), 4, 4), 512, 0)));
      // cost is linear in the background rows: 2 samples, and the service's default (the black image alone)
      methods.put("kernelshap 49 patches, 512 coalitions, 2 background (int8)", new KernelShap(served,
          TrainedDigits.trainInputs(0, 2), new KernelShap.Params(PatchGrid.ofPatchSize(twin.inputShape(), 4, 4), 512, 0)));
      methods.put("kernelshap 49 patches, 512 coalitions, black background (int8)", new KernelShap(served,
          new float[][] {MethodSettings.black(TrainedDigits.INPUT)},
          new KernelShap.Params(PatchGrid.ofPatchSize(twin.inputShape(), 4, 4), 512, 0)));
      int[] targets = new int[samples];
      float[][] p = twin.scores(x);
      for (int i = 0; i < samples; i++) {
        for (int c = 1; c < 10; c++) {
          targets[i] = p[i][c] > p[i][targets[i]] ? c : targets[i];
        }
      }
      StringBuilder report = new StringBuilder(String.format(Locale.ROOT,
          "load average before: %.2f; %d samples; %d cores available%n%n| method | runtime | median ms | p95 ms |%n|---|---|---|---|%n",
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), samples,
          Runtime.getRuntime().availableProcessors()));
      for (var e : methods.entrySet()) {
        Explainer ex = e.getValue();
        for (int i = 0; i < Math.min(10, samples); i++) {
          ex.explain(x[i], targets[i]); // warm-up
        }
        double[] ms = new double[samples];
        String runtime = "";
        for (int i = 0; i < samples; i++) {
          long t0 = System.nanoTime();
          runtime = ex.explain(x[i], targets[i]).runtime().toString();
          ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        String row = String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f |", e.getKey(), runtime, ms[samples / 2],
            ms[Math.min(samples - 1, (int) Math.ceil(0.95 * samples) - 1)]);
        System.err.println(row);
        report.append(row).append('\n');
      }
      report.append(String.format(Locale.ROOT, "%nload average after: %.2f%n",
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
      System.out.println(report);
    }
  }
}
