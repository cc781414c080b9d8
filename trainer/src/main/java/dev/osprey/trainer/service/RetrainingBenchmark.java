package dev.osprey.trainer.service;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.data.ImageShifts;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.RunRequest;
import dev.osprey.core.event.RunTransition;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.event.TriggerKind;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.trainer.Hyperparameters;
import dev.osprey.trainer.loop.StrategyConfig;
import dev.osprey.trainer.loop.TriggerPolicy;
import dev.osprey.trainer.pipeline.ModelPipeline;
import dev.osprey.trainer.pipeline.Teachers;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One real retraining run, timed: on {@code LABELS} rotated digits of the reference training set's
 * tail (labels the champion never saw in this form), fine-tune the serving student with the
 * trainer's default recipe, export, quantize, measure, gate against the champion and its teacher
 * and activate (the run log and the activation are kept in memory: the time is the trainer's, not
 * the broker's). The champion (a student distilled from a teacher of the same small CNN, one epoch
 * each on the other half of the training set) is trained first when the registry has none; that
 * setup is not timed.
 *
 * <pre>java -Dai.djl.offline=true -cp cli/target/osprey.jar dev.osprey.trainer.service.RetrainingBenchmark \
 *     DATASET LABELS ROTATE REGISTRY_DIR [DATA_DIR]</pre>
 *
 * e.g. {@code mnist 10000 30 /tmp/bench-registry data} (docs/retraining.md#benchmark).
 */
public final class RetrainingBenchmark {
  private static final String MODEL = "bench-digits";

  private RetrainingBenchmark() {}

  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    String dataset = args.length > 0 ? args[0] : "fixture";
    int labels = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    double degrees = args.length > 2 ? Double.parseDouble(args[2]) : 30;
    Path registryDir = Path.of(args.length > 3 ? args[3] : Files.createTempDirectory("osprey-bench-registry").toString());
    Datasets datasets = new Datasets(Path.of(args.length > 4 ? args[4] : "data"));
    ImageDataset train = datasets.load(dataset + ":train");
    ImageDataset test = datasets.load(dataset + ":test");
    ModelRegistry registry = new ModelRegistry(registryDir);
    if (registry.latest(MODEL).isEmpty()) {
      setUp(registry, datasets, train, dataset);
    }
    int champion = registry.latest(MODEL).getAsInt();

    int n = Math.min(labels, train.size() / 2);
    List<LabeledSample> window = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int k = train.size() - n + i;
      long ts = 1_700_000_000_000L + i;
      window.add(new LabeledSample(LabeledSample.SCHEMA_VERSION, "bench-" + k,
          Tensor.ofUint8(ImageShifts.rotate(train.image(k), train.rows(), train.cols(), degrees), 1, train.rows(), train.cols()),
          null, train.label(k), "bench", ts, ts, ts));
    }
    TrainerConfig base = TrainerConfig.of(MODEL).withReference(dataset + ":train", dataset + ":test");
    TrainerConfig config = base.withLoop(base.trigger(), base.data(),
        new StrategyConfig(StrategyConfig.Mode.FINE_TUNE, 0.1, 3, 2000), base.recipe(), base.gate(), base.rollback());
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    List<RunTransition> steps = new ArrayList<>();
    RunRecorder memory = new RunRecorder() {
      @Override
      public void append(RunTransition step) {
        steps.add(step);
      }

      @Override
      public void appendWithActivation(RunTransition step, ModelActivation activation) {
        steps.add(step);
      }
    };
    RunExecutor.Listener quiet = new RunExecutor.Listener() {
      @Override
      public void finished(RunTransition last) {}

      @Override
      public void watching(RunTransition activated) {}
    };
    RunExecutor executor = new RunExecutor(config, registry, datasets, train, test, memory, Clock.systemUTC(),
        new TrainerMetrics(meters), RunHooks.NONE, quiet, () -> champion, () -> false, List.of());
    String anchor = "bench-" + System.currentTimeMillis();
    RunRequest request = new RunRequest(TriggerPolicy.runId(MODEL, TriggerKind.DRIFT, anchor), TriggerKind.DRIFT, anchor,
        "benchmark", System.currentTimeMillis(), Set.of(TriggerKind.DRIFT), Map.of());
    long t0 = System.nanoTime();
    executor.start(request, champion, window);
    double seconds = (System.nanoTime() - t0) / 1e9;

    RunTransition last = steps.get(steps.size() - 1);
    System.out.printf(Locale.ROOT, "run %s on %d %s labels rotated %.0f deg (%d cores, load %.1f): %s in %.1f s%n",
        last.runId(), n, dataset, degrees, Runtime.getRuntime().availableProcessors(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), last.phase(), seconds);
    for (String phase : List.of("data", "train", "package", "gate", "activate")) {
      Timer t = meters.find(TrainerMetrics.PREFIX + ".phase").tag("phase", phase).timer();
      System.out.printf(Locale.ROOT, "  %-8s %6.1f s%n", phase, t == null ? 0 : t.totalTime(TimeUnit.SECONDS));
    }
    System.out.println("  " + last.gate().summary());
  }

  private static void setUp(ModelRegistry registry, Datasets datasets, ImageDataset train, String dataset) throws Exception {
    ModelPipeline pipeline = new ModelPipeline(registry, datasets, line -> System.out.println("setup: " + line));
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(1).withSeed(7);
    ImageDataset part = train.slice(0, train.size() / 2); // the rotated labels come from the other half
    pipeline.run(ModelPipeline.Plan.train(r -> r.fromScratch("teacher", Architectures.cnnStudent(10), part, hp))
        .optPublish(new ModelPipeline.Publication(MODEL + "-teacher", dataset + ":test", dataset + ":train", 500,
            CalibrationMethod.MINMAX, null)));
    pipeline.run(ModelPipeline.Plan.train(r -> {
      try (Teachers t = new Teachers().addVersion(registry, ModelRef.parse(MODEL + "-teacher"))) {
        return r.distill(Architectures.cnnStudent(10), part, hp, t.list(), 4f, 0.3f);
      }
    }).optPublish(new ModelPipeline.Publication(MODEL, dataset + ":test", dataset + ":train", 500, CalibrationMethod.MINMAX,
        null)));
  }
}
