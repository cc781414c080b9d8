package dev.osprey.inference;

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
 * nothing open. Called from the model follower thread only.
 */
final class ModelLoader {
  private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

  /** The version loads but does not fit the model being served or its own manifest. */
  static final class IncompatibleModelException extends ModelLoadException {
    private static final long serialVersionUID = 1L;

    IncompatibleModelException(String message) {
      super(message);
    }
  }

  private final InferenceConfig config;
  private final ModelRegistry registry;
  private final Clock clock;
  // Once runtime auto has fallen back to the CPU, TensorRT will not appear later in this process:
  // later swaps go straight to the CPU, so the fallback is logged once, not on every swap.
  private volatile boolean tensorRtUnavailable;

  ModelLoader(InferenceConfig config, ModelRegistry registry, Clock clock) {
    this.config = config;
    this.registry = registry;
    this.clock = clock;
  }

  /**
   * @param current the model serving now (compatibility reference), or null
   * @throws IncompatibleModelException if the version does not fit
   * @throws ModelLoadException if the version is missing or corrupt, or the runtime cannot open it
   */
  LoadedModel load(ModelActivation activation, LoadedModel current) throws ModelLoadException {
    ModelVersion version = registry.load(activation.modelName(), activation.version());
    ModelManifest manifest = version.manifest();
    checkManifestHash(activation, version);
    if (current != null) {
      checkFits(manifest, current.manifest());
    }
    String precision = precision(version);
    Path file = version.file(precision.equals(InferenceConfig.PRECISION_INT8) ? FileRoles.INT8_ONNX : FileRoles.FP32_ONNX);
    Predictor predictor;
    AutoCloseable owner = null;
    try {
      if (config.runtime() == RuntimeKind.PYTORCH) {
        // the differentiable network the packager stored: NetworkSpec in the manifest + DJL params
        DjlNetwork dir = PublishedNetwork.load(version);
        owner = dir;
        predictor = dir.newPredictor();
        precision = InferenceConfig.PRECISION_FP32;
      } else {
        predictor = OnnxPredictors.open(effectiveRuntime(), file, ortConfig(),
            config.tensorRtFor(manifest.name(), manifest.version()));
        if (config.runtime() == RuntimeKind.AUTO && predictor.activeRuntime() != RuntimeKind.ONNX_TENSORRT) {
          tensorRtUnavailable = true;
        }
      }
    } catch (PredictorException e) {
      closeQuietly(owner);
      throw new ModelLoadException("runtime " + config.runtime() + " cannot open " + manifest.ref() + ": " + e.getMessage(), e);
    }
    LoadedModel model = new LoadedModel(manifest, predictor, owner, config.runtime(), precision, activation, clock.instant());
    try {
      warmUp(model);
    } catch (ModelLoadException | RuntimeException e) {
      model.release();
      throw e;
    }
    return model;
  }

  private RuntimeKind effectiveRuntime() {
    return config.runtime() == RuntimeKind.AUTO && tensorRtUnavailable ? RuntimeKind.ONNX_CPU : config.runtime();
  }

  private OrtConfig ortConfig() {
    return new OrtConfig(config.intraOpThreads(), config.interOpThreads(), OptLevel.ALL_OPT, null, null);
  }

  private String precision(ModelVersion version) {
    if (config.precision().equals(InferenceConfig.PRECISION_INT8) && !version.hasFile(FileRoles.INT8_ONNX)) {
      LOG.warn("model {} has no {} file; serving its {} graph", version.ref(), FileRoles.INT8_ONNX, FileRoles.FP32_ONNX);
      return InferenceConfig.PRECISION_FP32;
    }
    return config.precision();
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
  static void checkFits(ModelManifest next, ModelManifest serving) throws IncompatibleModelException {
    InputSpec a = next.input();
    InputSpec b = serving.input();
    if (a.dtype() != b.dtype() || !a.shape().equals(b.shape())) {
      throw new IncompatibleModelException(next.ref() + " takes " + a.dtype().wireName() + " " + a.shape()
          + " but the serving " + serving.ref() + " takes " + b.dtype().wireName() + " " + b.shape());
    }
    if (!next.labels().equals(serving.labels())) {
      throw new IncompatibleModelException(next.ref() + " has labels " + next.labels() + " but the serving "
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
    int[] batches = config.warmupBatches() == 0 ? new int[] {1} : new int[config.warmupBatches()];
    for (int i = 0; i < batches.length; i++) {
      batches[i] = i % 2 == 0 ? 1 : config.maxBatchSize();
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
