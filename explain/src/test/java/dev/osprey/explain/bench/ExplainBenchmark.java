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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Per-sample latency of each explainer on the served architecture (a measurement, not a test):
 * gradient methods on the fp32 PyTorch twin, occlusion and KernelSHAP on the int8 ONNX graph
 * (ONNX Runtime CPU). Prints a markdown table with median and p95 per method and the load average.
 * The methods run interleaved, sample by sample, after a warm-up of each. Besides wall time it
 * reports the calling thread's CPU time: with one PyTorch and one ONNX Runtime thread the work runs
 * on that thread, so its CPU time is what a sample costs on a core of its own, whatever else the
 * machine is running.
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
      methods.put("ig 64 steps adaptive (black)", new IntegratedGradients(twin,
          IntegratedGradients.Params.of(Baseline.black(TrainedDigits.INPUT)).withSteps(64)
              .withRule(IntegratedGradients.Rule.ADAPTIVE)));
      methods.put("gradcam", new GradCam(twin, GradCam.Params.defaults()));
      methods.put("gradcam++", new GradCam(twin, GradCam.Params.plusPlus()));
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
          "load average before: %.2f; %d samples; %d cores available%n%n| method | runtime | median ms | p95 ms "
              + "| thread CPU median ms | thread CPU p95 ms |%n|---|---|---|---|---|---|%n",
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), samples,
          Runtime.getRuntime().availableProcessors()));
      List<Explainer> explainers = new ArrayList<>(methods.values());
      for (Explainer ex : explainers) {
        for (int i = 0; i < Math.min(10, samples); i++) {
          ex.explain(x[i], targets[i]); // warm-up
        }
      }
      // Interleaved (every method on sample i, then i + 1): a burst of load from other processes
      // on a shared machine spreads over all methods instead of landing on one.
      double[][] ms = new double[explainers.size()][samples];
      double[][] cpu = new double[explainers.size()][samples];
      java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long processCpu0 = os.getProcessCpuTime();
      long threadCpu0 = threads.getCurrentThreadCpuTime();
      String[] runtime = new String[explainers.size()];
      for (int i = 0; i < samples; i++) {
        for (int e = 0; e < explainers.size(); e++) {
          long c0 = threads.getCurrentThreadCpuTime();
          long t0 = System.nanoTime();
          runtime[e] = explainers.get(e).explain(x[i], targets[i]).runtime().toString();
          ms[e][i] = (System.nanoTime() - t0) / 1e6;
          cpu[e][i] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
        }
        if ((i + 1) % 10 == 0) {
          System.err.printf("\r%d of %d samples", i + 1, samples);
        }
      }
      System.err.println();
      // If the engines ran work on other threads, the thread CPU column would understate the cost.
      double threadShare = (threads.getCurrentThreadCpuTime() - threadCpu0) / (double) (os.getProcessCpuTime() - processCpu0);
      int e = 0;
      for (String name : methods.keySet()) {
        double[] sorted = ms[e].clone();
        Arrays.sort(sorted);
        double[] cpuSorted = cpu[e].clone();
        Arrays.sort(cpuSorted);
        int p95 = Math.min(samples - 1, (int) Math.ceil(0.95 * samples) - 1);
        String row = String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.1f | %.1f |", name, runtime[e],
            sorted[samples / 2], sorted[p95], cpuSorted[samples / 2], cpuSorted[p95]);
        System.err.println(row);
        report.append(row).append('\n');
        e++;
      }
      report.append(String.format(Locale.ROOT, "%nload average after: %.2f; the measuring thread's share of the "
          + "process CPU during the measured loop: %.1f%%%n",
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), 100 * threadShare));
      System.out.println(report);
    }
  }
}
