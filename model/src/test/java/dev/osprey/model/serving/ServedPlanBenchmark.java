package dev.osprey.model.serving;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.plan.PlanMeasurement;
import dev.osprey.model.plan.ThroughputProbe;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.PrecisionPlans;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.Predictor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The plan {@code precision=auto} serves against the same version's fp32 graph, both opened by the
 * {@link ModelLoader} as a service opens them, timed side by side at the serving batch size in
 * alternating rounds (each round times both, in a rotating order), by the wall clock and by the
 * thread's CPU time. A measurement, not a test; see docs/benchmarks-precision.md.
 *
 * <p>Arguments: registry directory, model ({@code name[:version]}), rounds (default 9), seconds per
 * round and model (default 0.5), batch size (default 64), {@code here} (default: the figures the
 * version records for this host) or {@code unknown} (pretend the version has no figures for this
 * host, so the loader measures the plans at load), {@code fixture} (default: time on fixture:test
 * images) or {@code synthetic} (on the seeded random inputs the loader measures with).
 */
public final class ServedPlanBenchmark {
  private ServedPlanBenchmark() {}

  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    if (args.length < 2) {
      System.err.println("usage: ServedPlanBenchmark REGISTRY NAME[:VERSION] [ROUNDS] [SECONDS] [BATCH] [here|unknown] [fixture|synthetic]");
      System.exit(2);
    }
    ModelRegistry registry = new ModelRegistry(Path.of(args[0]));
    ModelManifest manifest = registry.load(ModelRef.parse(args[1])).manifest();
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 9;
    double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 0.5;
    int batch = args.length > 4 ? Integer.parseInt(args[4]) : 64;
    boolean unknown = args.length > 5 && args[5].equals("unknown");
    boolean synthetic = args.length > 6 && args[6].equals("synthetic");
    HostProfile here = HostProfile.current();
    HostProfile host = unknown ? new HostProfile("a host the version has no figures for", Set.of(), 1) : here;
    System.out.println("host: " + here.key());
    System.out.println("cpuinfo flags: " + cpuFlags());

    ModelActivation activation = ModelActivation.of(manifest.name(), manifest.version(), 1L, "bench", "bench");
    LoadedModel auto = new ModelLoader(ServingOptions.cpuAuto(batch, "target/tensorrt-cache"), registry, Clock.systemUTC(), host)
        .load(activation, null);
    LoadedModel fp32 = new ModelLoader(ServingOptions.cpuAuto(batch, "target/tensorrt-cache").withPrecision("fp32"), registry,
        Clock.systemUTC(), host).load(activation, null);
    try {
      System.out.println("auto -> " + auto.precision() + " (" + auto.plan().fileRole() + ", ORT without "
          + auto.plan().disabledOptimizers() + "): " + auto.plan().reason());
      float[] inputs;
      if (synthetic) {
        inputs = PlanMeasurement.syntheticInputs(manifest.input(), 16 * batch, 42).inputs();
      } else {
        ImageDataset test = new Datasets(Path.of(".")).load("fixture:test");
        inputs = ImageBatches.normalize(test, manifest.input(), 0, Math.min(test.size(), 16 * batch));
      }
      Rates[] rates = measure(List.of(auto.predictor(), fp32.predictor()), inputs, manifest.input().size(), batch, rounds, seconds);
      PrecisionPlans plans = manifest.plans();
      System.out.printf(Locale.ROOT, "batch %d, %d alternating rounds of %.2f s per plan, 1 intra-op thread%n", batch, rounds, seconds);
      System.out.println("| plan | samples/s (median) | samples/s (slowest round) | samples per CPU-second (median) "
          + "| samples per CPU-second (slowest) | accuracy | agreement with fp32 |");
      System.out.println("|---|---|---|---|---|---|---|");
      for (int i = 0; i < 2; i++) {
        LoadedModel m = i == 0 ? auto : fp32;
        Rates r = rates[i];
        PrecisionPlans.Candidate c = plans == null ? null : plans.candidates().get(m.precision());
        System.out.printf(Locale.ROOT, "| %s%s | %,.0f | %,.0f | %,.0f | %,.0f | %s | %s |%n", m.precision(), i == 0 ? " (auto)" : "",
            median(r.wall), min(r.wall), median(r.cpu), min(r.cpu),
            c == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * c.accuracy()),
            c == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * c.agreement()));
      }
      System.out.printf(Locale.ROOT, "auto / fp32: wall clock %.2fx (medians), %.2fx (slowest rounds); CPU time %.2fx (medians), "
          + "%.2fx (slowest rounds)%n", median(rates[0].wall) / median(rates[1].wall), min(rates[0].wall) / min(rates[1].wall),
          median(rates[0].cpu) / median(rates[1].cpu), min(rates[0].cpu) / min(rates[1].cpu));
    } finally {
      auto.release();
      fp32.release();
    }
  }

  /** Per round: samples per wall-clock second and per CPU-second of the calling thread. */
  private record Rates(double[] wall, double[] cpu) {}

  /**
   * Each round times every predictor once for {@code seconds}, in a rotating order (as
   * {@link ThroughputProbe} does), and also reads the calling thread's CPU time: with one intra-op
   * thread ONNX Runtime computes on the caller, so samples per CPU-second are what the graph costs,
   * whatever share of the cores a busy shared machine gives the process.
   */
  private static Rates[] measure(List<? extends Predictor> predictors, float[] inputs, int sampleSize, int batch, int rounds,
      double seconds) throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int batches = inputs.length / sampleSize / batch;
    float[][] data = new float[batches][];
    for (int i = 0; i < batches; i++) {
      data[i] = java.util.Arrays.copyOfRange(inputs, i * batch * sampleSize, (i + 1) * batch * sampleSize);
    }
    Rates[] out = new Rates[predictors.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = new Rates(new double[rounds], new double[rounds]);
      for (int i = 0; i < 20; i++) {
        predictors.get(k).predict(data[i % batches], batch);
      }
    }
    for (int r = 0; r < rounds; r++) {
      for (int j = 0; j < out.length; j++) {
        int k = (j + r) % out.length;
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        long samples = 0;
        long now;
        int i = 0;
        do {
          predictors.get(k).predict(data[i++ % batches], batch);
          samples += batch;
          now = System.nanoTime();
        } while (now < end);
        out[k].wall[r] = samples / ((now - t0) / 1e9);
        out[k].cpu[r] = samples / ((threads.getCurrentThreadCpuTime() - cpu0) / 1e9);
      }
    }
    return out;
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    java.util.Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static double min(double[] values) {
    return java.util.Arrays.stream(values).min().orElseThrow();
  }

  private static String cpuFlags() throws java.io.IOException {
    Path cpuinfo = Path.of("/proc/cpuinfo");
    if (!Files.isReadable(cpuinfo)) {
      return "(no /proc/cpuinfo)";
    }
    return Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("flags")).findFirst()
        .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("(none)");
  }
}
