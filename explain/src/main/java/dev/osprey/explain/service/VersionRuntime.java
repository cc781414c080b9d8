package dev.osprey.explain.service;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.Explainer;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.Method;
import dev.osprey.explain.model.DjlNetwork;
import dev.osprey.explain.model.PredictorScoreFunction;
import dev.osprey.explain.shap.PatchGrid;
import dev.osprey.model.InputSpec;
import dev.osprey.model.publish.PublishedNetwork;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.PredictorException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One registry version opened for explaining: its served graph (int8 ONNX on ONNX Runtime CPU, the
 * fp32 graph when it has no int8 one) for occlusion and KernelSHAP, and its fp32 DJL twin for the
 * gradient methods when the version carries one (an imported ONNX model does not: its gradient
 * methods are then skipped). Explainers are built once per version. Used by one thread at a time.
 */
public final class VersionRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VersionRuntime.class);
  /** Rows per call to the served graph (occlusion and KernelSHAP batch their copies). */
  private static final int MAX_BATCH = 1024;

  private final ModelManifest manifest;
  private final Predictor predictor;
  private final AutoCloseable owner;
  private final DjlNetwork twin;
  private final String servedPrecision;
  private final PatchGrid grid;
  private final Map<Method, Explainer> explainers = new EnumMap<>(Method.class);

  private VersionRuntime(ModelManifest manifest, Predictor predictor, AutoCloseable owner, DjlNetwork twin,
      String servedPrecision, MethodSettings settings) {
    this.manifest = manifest;
    this.predictor = predictor;
    this.owner = owner;
    this.twin = twin;
    this.servedPrecision = servedPrecision;
    InputSpec input = manifest.input();
    ImageShape shape = ImageShape.of(input.shape());
    PredictorScoreFunction served =
        new PredictorScoreFunction(predictor, shape, manifest.labels().size(), servedPrecision, MAX_BATCH);
    this.grid = settings.shapGrid(input);
    float[][] background = {MethodSettings.black(input)};
    for (Method m : Method.values()) {
      if (m == Method.GRAD_CAM && twin != null && !twin.hasConvolution()) {
        LOG.info("{} has no convolution (an MLP): gradcam is left out", manifest.ref());
      } else if (!m.needsGradients() || twin != null) {
        try {
          explainers.put(m, settings.explainer(m, input, twin, served, background));
        } catch (IllegalArgumentException e) {
          // e.g. SHAP's patches do not fit a tiny input: the other methods still run
          LOG.warn("{} cannot explain {}: {}", m, manifest.ref(), e.getMessage());
        }
      }
    }
  }

  /**
   * Opens a version: the served graph on ONNX Runtime CPU with {@code ortThreads} intra-op
   * threads, and the fp32 twin when the version has one.
   *
   * @throws ModelLoadException if the graph cannot be opened (the twin failing only logs: the
   *     gradient methods are then skipped)
   */
  public static VersionRuntime open(ModelVersion version, MethodSettings settings, int ortThreads)
      throws ModelLoadException {
    boolean int8 = version.hasFile(FileRoles.INT8_ONNX);
    Predictor predictor;
    try {
      predictor = OnnxPredictor.openCpu(version.file(int8 ? FileRoles.INT8_ONNX : FileRoles.FP32_ONNX),
          OrtConfig.cpu(ortThreads));
    } catch (PredictorException | RuntimeException e) {
      throw new ModelLoadException("cannot open the graph of " + version.ref() + ": " + e.getMessage(), e);
    }
    return withTwin(version, predictor, predictor, int8 ? "int8" : "fp32", settings);
  }

  /**
   * A version whose served graph is already open (e.g. the model the follower loaded, verified and
   * warmed up), plus its fp32 twin from the registry when it has one.
   *
   * @param owner closed when this runtime closes (e.g. releases the served model's reference)
   * @throws ModelLoadException if the twin exists but cannot be loaded; {@code owner} is closed then
   */
  public static VersionRuntime withTwin(ModelVersion version, Predictor predictor, AutoCloseable owner,
      String precision, MethodSettings settings) throws ModelLoadException {
    DjlNetwork twin = null;
    try {
      if (PublishedNetwork.isAvailable(version)) {
        twin = DjlNetwork.load(version);
      } else {
        LOG.warn("{} has no fp32 network (imported ONNX?): only occlusion and shap can explain it", version.ref());
      }
      return new VersionRuntime(version.manifest(), predictor, owner, twin, precision, settings);
    } catch (ModelLoadException | RuntimeException e) {
      if (twin != null) {
        twin.close();
      }
      closeQuietly(owner);
      throw e instanceof ModelLoadException mle ? mle
          : new ModelLoadException("cannot open " + version.ref() + " for explaining: " + e.getMessage(), e);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("could not close a half-opened runtime: {}", e.toString());
    }
  }

  public ModelManifest manifest() {
    return manifest;
  }

  public int version() {
    return manifest.version();
  }

  public InputSpec input() {
    return manifest.input();
  }

  public ImageShape shape() {
    return ImageShape.of(manifest.input().shape());
  }

  /** The patches KernelSHAP's features are. */
  public PatchGrid grid() {
    return grid;
  }

  /** Whether this version can run {@code m} (gradient methods need the fp32 twin). */
  public boolean supports(Method m) {
    return explainers.containsKey(m);
  }

  /**
   * Explains one normalized input for class {@code target} with each of {@code methods} this
   * version supports; a method that fails is logged and left out (so one bad method does not
   * lose the others).
   */
  public List<AttributionMap> explain(float[] input, int target, List<Method> methods) {
    List<AttributionMap> out = new ArrayList<>(methods.size());
    for (Method m : methods) {
      Explainer e = explainers.get(m);
      if (e == null) {
        continue;
      }
      try {
        out.add(e.explain(input, target));
      } catch (RuntimeException ex) {
        LOG.warn("{} failed on {} for class {}: {}", m, manifest.ref(), target, ex.toString());
      }
    }
    return out;
  }

  /** The served graph's class probabilities for one input (to pick the target of an on-demand request). */
  public float[] scores(float[] input) {
    return new PredictorScoreFunction(predictor, shape(), manifest.labels().size(), servedPrecision, 1)
        .scores(new float[][] {input})[0];
  }

  @Override
  public void close() {
    try {
      if (twin != null) {
        twin.close();
      }
    } finally {
      closeQuietly(owner);
    }
  }
}
