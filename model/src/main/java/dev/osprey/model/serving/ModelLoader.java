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
import dev.osprey.model.runtime.OnnxPredictors;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.PredictorException;
import dev.osprey.model.runtime.RuntimeKind;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
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

  private final ServingOptions options;
  private final ModelRegistry registry;
  private final Clock clock;
  // Once runtime auto has fallen back to the CPU, TensorRT will not appear later in this process:
  // later swaps go straight to the CPU, so the fallback is logged once, not on every swap.
  private volatile boolean tensorRtUnavailable;

  /** The registry versions are loaded from. */
  ModelRegistry registry() {
    return registry;
  }

  public ModelLoader(ServingOptions options, ModelRegistry registry, Clock clock) {
    this.options = options;
    this.registry = registry;
    this.clock = clock;
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
    String precision = precision(version);
    Path file = version.file(precision.equals(ServingOptions.PRECISION_INT8) ? FileRoles.INT8_ONNX : FileRoles.FP32_ONNX);
    Predictor predictor;
    AutoCloseable owner = null;
    try {
      if (options.runtime() == RuntimeKind.PYTORCH) {
        // the differentiable network the packager stored: NetworkSpec in the manifest + DJL params
        DjlNetwork dir = PublishedNetwork.load(version);
        owner = dir;
        predictor = dir.newPredictor();
        precision = ServingOptions.PRECISION_FP32;
      } else {
        predictor = OnnxPredictors.open(effectiveRuntime(), file, ortConfig(),
            options.tensorRtFor(manifest.name(), manifest.version()));
        if (options.runtime() == RuntimeKind.AUTO && predictor.activeRuntime() != RuntimeKind.ONNX_TENSORRT) {
          tensorRtUnavailable = true;
        }
      }
    } catch (PredictorException e) {
      closeQuietly(owner);
      throw new ModelLoadException("runtime " + options.runtime() + " cannot open " + manifest.ref() + ": " + e.getMessage(), e);
    }
    LoadedModel model = new LoadedModel(manifest, predictor, owner, options.runtime(), precision, activation, clock.instant());
    try {
      warmUp(model);
    } catch (ModelLoadException | RuntimeException e) {
      model.release();
      throw e;
    }
    return model;
  }

  private RuntimeKind effectiveRuntime() {
    return options.runtime() == RuntimeKind.AUTO && tensorRtUnavailable ? RuntimeKind.ONNX_CPU : options.runtime();
  }

  private OrtConfig ortConfig() {
    return new OrtConfig(options.intraOpThreads(), options.interOpThreads(), OptLevel.ALL_OPT, null, null);
  }

  private String precision(ModelVersion version) {
    if (options.precision().equals(ServingOptions.PRECISION_INT8) && !version.hasFile(FileRoles.INT8_ONNX)) {
      LOG.warn("model {} has no {} file; serving its {} graph", version.ref(), FileRoles.INT8_ONNX, FileRoles.FP32_ONNX);
      return ServingOptions.PRECISION_FP32;
    }
    return options.precision();
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
