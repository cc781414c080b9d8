package dev.osprey.model.serving;

import dev.osprey.core.event.ModelActivation;
import dev.osprey.model.InputSpec;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.publish.PublishedNetwork;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.plan.PlanChoice;
import dev.osprey.model.plan.PlanMeasurement;
import dev.osprey.model.plan.PlanSelection;
import dev.osprey.model.plan.PrecisionPlanner;
import dev.osprey.model.registry.PrecisionPlans;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OnnxPredictors;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.PredictorException;
import dev.osprey.model.runtime.RuntimeKind;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.io.IOException;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an activation into a {@link LoadedModel}: loads the version from the registry (every
 * file's size and SHA-256 checked), checks the manifest hash the activation carries, checks the
 * version fits the model being served (same input dtype and shape, same labels), opens it in the
 * configured runtime, checks its outputs match its labels and warms it up. Any failure leaves
 * nothing open. Called from one thread at a time (the model follower's).
 */
public final class ModelLoader {
  private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

  /** The version loads but does not fit the model being served or its own manifest. */
  public static final class IncompatibleModelException extends ModelLoadException {
    private static final long serialVersionUID = 1L;

    IncompatibleModelException(String message) {
      super(message);
    }
  }

  // plans timed at load on a host a version has no figures for: a few rounds of a fraction of a second
  static final int MEASURE_ROUNDS = 3;
  static final double MEASURE_SECONDS = 0.1;
  private static final int MEASURE_BATCHES = 4;
  private static final long MEASURE_SEED = 42;

  private final ServingOptions options;
  private final ModelRegistry registry;
  private final Clock clock;
  private final HostProfile host;
  // Once runtime auto has fallen back to the CPU, TensorRT will not appear later in this process:
  // later swaps go straight to the CPU, so the fallback is logged once, not on every swap.
  private volatile boolean tensorRtUnavailable;
  // "name:version@host key" -> what its plans measured here (a version is immutable: measure it once)
  private final Map<String, PrecisionPlans.HostFigures> measured = new ConcurrentHashMap<>();

  /** The registry versions are loaded from. */
  ModelRegistry registry() {
    return registry;
  }

  public ModelLoader(ServingOptions options, ModelRegistry registry, Clock clock) {
    this(options, registry, clock, HostProfile.current());
  }

  /** @param host the host plans are chosen for (its key selects the version's recorded figures) */
  ModelLoader(ServingOptions options, ModelRegistry registry, Clock clock, HostProfile host) {
    this.options = options;
    this.registry = registry;
    this.clock = clock;
    this.host = host;
  }

  /**
   * @param current the model serving now (compatibility reference), or null
   * @throws IncompatibleModelException if the version does not fit
   * @throws ModelLoadException if the version is missing or corrupt, or the runtime cannot open it
   */
  public LoadedModel load(ModelActivation activation, LoadedModel current) throws ModelLoadException {
    return loadFitting(activation, current == null ? null : current.manifest());
  }

  /**
   * @param reference what the version must fit (the serving model's manifest, or a starting
   *     service's {@link ServingContract}), or null when nothing constrains it
   * @throws IncompatibleModelException if the version does not fit
   * @throws ModelLoadException if the version is missing or corrupt, or the runtime cannot open it
   */
  public LoadedModel loadFitting(ModelActivation activation, ModelManifest reference) throws ModelLoadException {
    ModelVersion version = registry.load(activation.modelName(), activation.version());
    ModelManifest manifest = version.manifest();
    checkManifestHash(activation, version);
    if (reference != null) {
      checkFits(manifest, reference);
    }
    Predictor predictor = null;
    AutoCloseable owner = null;
    ServedPlan plan = null;
    try {
      if (options.runtime() == RuntimeKind.PYTORCH) {
        // the differentiable network the packager stored: NetworkSpec in the manifest + DJL params
        DjlNetwork dir = PublishedNetwork.load(version);
        owner = dir;
        predictor = dir.newPredictor();
        plan = new ServedPlan(options.precision(), PrecisionPlans.FP32, FileRoles.PARAMS, Set.of(),
            "runtime pytorch runs the stored fp32 network", null);
      } else {
        if (options.runtime() == RuntimeKind.ONNX_TENSORRT || (options.runtime() == RuntimeKind.AUTO && !tensorRtUnavailable)) {
          // TensorRT gets the full QDQ graph for auto: it times its own kernels per layer
          PlanSelection.Open open =
              (PlanSelection.Open) selectOrFp32(manifest, () -> PlanSelection.forTensorRt(manifest, options.precision()));
          try {
            predictor = OnnxPredictor.openTensorRt(version.file(open.fileRole()), open.apply(ortConfig()),
                options.tensorRtFor(manifest.name(), manifest.version()));
            plan = served(open, null);
          } catch (PredictorException e) {
            if (options.runtime() == RuntimeKind.ONNX_TENSORRT) {
              throw e;
            }
            // Once runtime auto has fallen back to the CPU, TensorRT will not appear later in this process
            LOG.warn("runtime auto: TensorRT unavailable ({}), falling back to onnx-cpu", OnnxPredictors.rootMessage(e));
            tensorRtUnavailable = true;
          }
        }
        if (predictor == null) {
          plan = cpuPlan(version);
          predictor = OnnxPredictor.openCpu(version.file(plan.fileRole()),
              ortConfig().withDisabledOptimizers(plan.disabledOptimizers()));
        }
      }
    } catch (PredictorException e) {
      closeQuietly(owner);
      throw new ModelLoadException("runtime " + options.runtime() + " cannot open " + manifest.ref() + ": " + e.getMessage(), e);
    }
    LOG.info("model {}: precision {} -> plan {} ({}{}) on {}: {}", manifest.ref(), plan.requested(), plan.plan(),
        plan.fileRole(), plan.disabledOptimizers().isEmpty() ? "" : ", ORT without " + new TreeSet<>(plan.disabledOptimizers()),
        predictor.activeRuntime().configName(), plan.reason());
    LoadedModel model = new LoadedModel(manifest, predictor, owner, options.runtime(), plan, activation, clock.instant());
    try {
      warmUp(model);
    } catch (ModelLoadException | RuntimeException e) {
      model.release();
      throw e;
    }
    return model;
  }

  private OrtConfig ortConfig() {
    return new OrtConfig(options.intraOpThreads(), options.interOpThreads(), OptLevel.ALL_OPT, null, null);
  }

  /**
   * The plan the CPU runs: {@link PlanSelection#select} for this host; for a host the version has no
   * figures for, the stored plans are timed here first (a bounded fraction of a second each, once per
   * version in this process) and chosen by the packager's rule.
   */
  private ServedPlan cpuPlan(ModelVersion version) {
    ModelManifest manifest = version.manifest();
    PlanSelection selection = selectOrFp32(manifest, () -> PlanSelection.select(manifest, host, options.precision()));
    if (selection instanceof PlanSelection.Open open) {
      return served(open, null);
    }
    PlanSelection.Measure measure = (PlanSelection.Measure) selection;
    String key = manifest.ref() + "@" + host.key();
    PrecisionPlans.HostFigures here = measured.get(key);
    if (here == null) {
      try {
        here = new PlanMeasurement(measurementOptions()).measure(version,
            PlanMeasurement.syntheticInputs(manifest.input(), MEASURE_BATCHES * options.warmupBatchSize(), MEASURE_SEED));
      } catch (IOException | PredictorException | RuntimeException e) {
        // fp32 is always within the bound: the graph the bound is measured against
        PlanSelection.Open fp32 =
            (PlanSelection.Open) selectOrFp32(manifest, () -> PlanSelection.select(manifest, host, PrecisionPlans.FP32));
        return served(new PlanSelection.Open(fp32.plan(), fp32.fileRole(), fp32.disabledOptimizers(),
            measure.reason() + "; measuring failed (" + OnnxPredictors.rootMessage(e) + "), serving fp32"), null);
      }
      measured.put(key, here);
    }
    PlanSelection.Open open = PlanSelection.choose(manifest, here);
    return served(new PlanSelection.Open(open.plan(), open.fileRole(), open.disabledOptimizers(),
        open.reason() + " [" + rates(here) + "; batch " + here.batchSize() + ", " + here.rounds() + " rounds; not written back]"),
        here);
  }

  /**
   * How plans are timed at load: at the serving batch size and threads, {@value #MEASURE_ROUNDS}
   * alternating rounds of {@value #MEASURE_SECONDS} s per plan, plus opening and warming each plan: 1-3 s
   * for a version's (at most 4) plans; the accuracy bound is the packager's.
   */
  private PrecisionPlanner.Options measurementOptions() {
    return new PrecisionPlanner.Options(options.warmupBatchSize(), options.intraOpThreads(), MEASURE_ROUNDS, MEASURE_SECONDS,
        1.03, PlanChoice.MAX_ACCURACY_DROP, PlanChoice.MIN_AGREEMENT);
  }

  /**
   * The selection, or the fp32 graph with a WARN when the version does not store the requested plan
   * (as {@code int8} on a version without an int8 graph always did).
   */
  private PlanSelection selectOrFp32(ModelManifest manifest, Supplier<PlanSelection> select) {
    try {
      return select.get();
    } catch (IllegalArgumentException e) {
      LOG.warn("model {} cannot serve precision {} ({}); serving its {} graph", manifest.ref(), options.precision(),
          e.getMessage(), FileRoles.FP32_ONNX);
      return new PlanSelection.Open(PrecisionPlans.FP32, FileRoles.FP32_ONNX, Set.of(),
          "precision=" + options.precision() + ": " + e.getMessage() + "; serving fp32");
    }
  }

  private ServedPlan served(PlanSelection.Open open, PrecisionPlans.HostFigures measuredHere) {
    return new ServedPlan(options.precision(), open.plan(), open.fileRole(), open.disabledOptimizers(), open.reason(), measuredHere);
  }

  private static String rates(PrecisionPlans.HostFigures figures) {
    StringBuilder s = new StringBuilder("measured here: ");
    String sep = "";
    for (Map.Entry<String, PrecisionPlans.Rate> r : figures.samplesPerSecond().entrySet()) {
      s.append(sep).append(String.format(Locale.ROOT, "%s %.0f/s", r.getKey(), r.getValue().median()));
      sep = ", ";
    }
    return s.toString();
  }

  private void checkManifestHash(ModelActivation activation, ModelVersion version) throws ModelLoadException {
    if (activation.manifestSha256() == null) {
      return;
    }
    try {
      String actual = ModelRegistry.sha256(version.directory().resolve(ModelRegistry.MANIFEST_FILE));
      if (!actual.equalsIgnoreCase(activation.manifestSha256())) {
        throw new ModelLoadException("manifest of " + version.ref() + " has sha256 " + actual
            + " but the activation names " + activation.manifestSha256() + " (the version was replaced?)");
      }
    } catch (IOException e) {
      throw new ModelLoadException("cannot hash the manifest of " + version.ref() + ": " + e.getMessage(), e);
    }
  }

  /** Samples and consumers downstream are shaped for the serving model: the next one must take and say the same. */
  public static void checkFits(ModelManifest next, ModelManifest serving) throws IncompatibleModelException {
    InputSpec a = next.input();
    InputSpec b = serving.input();
    if (a.dtype() != b.dtype() || !a.shape().equals(b.shape())) {
      throw new IncompatibleModelException(next.ref() + " takes " + a.dtype().wireName() + " " + a.shape()
          + " but " + serving.ref() + " takes " + b.dtype().wireName() + " " + b.shape());
    }
    if (!next.labels().equals(serving.labels())) {
      throw new IncompatibleModelException(next.ref() + " has labels " + next.labels() + " but "
          + serving.ref() + " has " + serving.labels());
    }
  }

  /** Runs zero batches of size 1 and maxBatchSize; the outputs must have one logit per label. */
  private void warmUp(LoadedModel model) throws ModelLoadException {
    Predictor p = model.predictor();
    int size = model.manifest().input().size();
    if (p.sampleSize() != size) {
      throw new IncompatibleModelException("the graph of " + model.ref() + " takes " + p.sampleSize()
          + " floats per sample but its manifest's input " + model.manifest().input().shape() + " has " + size);
    }
    int labels = model.manifest().labels().size();
    int[] batches = options.warmupBatches() == 0 ? new int[] {1} : new int[options.warmupBatches()];
    for (int i = 0; i < batches.length; i++) {
      batches[i] = i % 2 == 0 ? 1 : options.warmupBatchSize();
    }
    for (int b : batches) {
      Predictions out;
      try {
        out = p.predict(new float[b * size], b);
      } catch (PredictorException | RuntimeException e) {
        throw new ModelLoadException("warm-up of " + model.ref() + " failed: " + e.getMessage(), e);
      }
      if (out.classes() != labels) {
        throw new IncompatibleModelException(
            model.ref() + " outputs " + out.classes() + " scores but its manifest names " + labels + " labels");
      }
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("could not close a half-opened model: {}", e.toString());
    }
  }
}
