package dev.osprey.model.serving;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.plan.ThroughputProbe;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.PrecisionPlans;
import dev.osprey.model.runtime.ImageBatches;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The plan {@code precision=auto} serves against the same version's fp32 graph, both opened by the
 * {@link ModelLoader} as a service opens them, timed side by side at the serving batch size in
 * alternating rounds ({@link ThroughputProbe}: each round times both, in a rotating order). A
 * measurement, not a test; see docs/benchmarks-precision.md.
 *
 * <p>Arguments: registry directory, model ({@code name[:version]}), rounds (default 9), seconds per
 * round and model (default 0.5), batch size (default 64), {@code here} (default: the figures the
 * version records for this host) or {@code unknown} (pretend the version has no figures for this
 * host, so the loader measures the plans at load).
 */
public final class ServedPlanBenchmark {
  private ServedPlanBenchmark() {}

  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    if (args.length < 2) {
      System.err.println("usage: ServedPlanBenchmark REGISTRY NAME[:VERSION] [ROUNDS] [SECONDS] [BATCH] [here|unknown]");
      System.exit(2);
    }
    ModelRegistry registry = new ModelRegistry(Path.of(args[0]));
    ModelManifest manifest = registry.load(ModelRef.parse(args[1])).manifest();
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 9;
    double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 0.5;
    int batch = args.length > 4 ? Integer.parseInt(args[4]) : 64;
    boolean unknown = args.length > 5 && args[5].equals("unknown");
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
      ImageDataset test = new Datasets(Path.of(".")).load("fixture:test");
      int n = Math.min(test.size(), 16 * batch);
      float[] inputs = ImageBatches.normalize(test, manifest.input(), 0, n);
      List<ThroughputProbe.Rate> rates = new ThroughputProbe(inputs, manifest.input().size(), batch, rounds, seconds)
          .measure(List.of(auto.predictor(), fp32.predictor()));
      ThroughputProbe.Rate a = rates.get(0);
      ThroughputProbe.Rate f = rates.get(1);
      PrecisionPlans plans = manifest.plans();
      System.out.printf(Locale.ROOT, "batch %d, %d alternating rounds of %.2f s, 1 intra-op thread%n", batch, rounds, seconds);
      System.out.println("| plan | samples/s (median) | samples/s (slowest round) | accuracy | agreement with fp32 |");
      System.out.println("|---|---|---|---|---|");
      for (int i = 0; i < 2; i++) {
        LoadedModel m = i == 0 ? auto : fp32;
        ThroughputProbe.Rate r = rates.get(i);
        PrecisionPlans.Candidate c = plans == null ? null : plans.candidates().get(m.precision());
        System.out.printf(Locale.ROOT, "| %s%s | %,.0f | %,.0f | %s | %s |%n", m.precision(), i == 0 ? " (auto)" : "",
            r.median(), r.min(), c == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * c.accuracy()),
            c == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * c.agreement()));
      }
      System.out.printf(Locale.ROOT, "auto / fp32: %.2fx (medians), %.2fx (slowest rounds)%n", a.median() / f.median(),
          a.min() / f.min());
    } finally {
      auto.release();
      fp32.release();
    }
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
