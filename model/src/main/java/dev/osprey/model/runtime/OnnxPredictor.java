package dev.osprey.model.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs an ONNX classifier with the raw ONNX Runtime API, on the CPU or through the TensorRT
 * execution provider. Reads output {@code logits} (else the first output) and {@code embedding}
 * when present, so any single-input classifier works. Thread-safe: ORT sessions accept
 * concurrent {@code run} calls.
 */
public final class OnnxPredictor implements Predictor {
  private final OrtEnvironment env;
  private final OrtSession session;
  private final RuntimeKind runtime;
  private final String inputName;
  private final long[] sampleShape;
  private final int sampleSize;
  private final String logitsName;
  private final String embeddingName;
  private final java.util.Set<String> logitsOnly;
  /** Held by the call that uses {@link #inputBuffer}; a concurrent call passes a heap buffer instead. */
  private final ReentrantLock inputLock = new ReentrantLock();
  /** The reusable direct input buffer (see {@link #direct}); guarded by {@link #inputLock}. */
  private FloatBuffer inputBuffer;

  private OnnxPredictor(OrtEnvironment env, OrtSession session, RuntimeKind runtime) throws OrtException {
    this.env = env;
    this.session = session;
    this.runtime = runtime;
    if (session.getInputInfo().size() != 1) {
      throw new OrtException("model must have exactly one input, has " + session.getInputNames());
    }
    NodeInfo in = session.getInputInfo().values().iterator().next();
    this.inputName = in.getName();
    long[] shape = ((TensorInfo) in.getInfo()).getShape();
    this.sampleShape = java.util.Arrays.copyOfRange(shape, 1, shape.length);
    int n = 1;
    for (long d : sampleShape) {
      if (d <= 0) {
        throw new OrtException("input " + inputName + " has a dynamic non-batch dimension: " + java.util.Arrays.toString(shape));
      }
      n *= (int) d;
    }
    this.sampleSize = n;
    this.logitsName = session.getOutputNames().contains("logits") ? "logits" : session.getOutputNames().iterator().next();
    this.embeddingName = session.getOutputNames().contains("embedding") ? "embedding" : null;
    this.logitsOnly = java.util.Set.of(logitsName);
  }

  /**
   * Opens {@code model} on the CPU.
   *
   * @throws PredictorException if ORT cannot load the model
   */
  public static OnnxPredictor openCpu(Path model, OrtConfig config) throws PredictorException {
    return open(model.toString(), null, config, null);
  }

  /** Opens a serialized model held in memory on the CPU. */
  public static OnnxPredictor openCpu(byte[] model, OrtConfig config) throws PredictorException {
    return open(null, model, config, null);
  }

  /**
   * Opens {@code model} with the TensorRT execution provider (CPU provider behind it for nodes
   * TensorRT does not take).
   *
   * @throws PredictorException if this ONNX Runtime build or host has no TensorRT, or loading fails
   */
  public static OnnxPredictor openTensorRt(Path model, OrtConfig config, TensorRtOptions trt) throws PredictorException {
    return open(model.toString(), null, config, trt);
  }

  private static OnnxPredictor open(String path, byte[] bytes, OrtConfig config, TensorRtOptions trt)
      throws PredictorException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(config.intraOpThreads());
      opts.setInterOpNumThreads(config.interOpThreads());
      opts.setOptimizationLevel(config.optimization());
      if (config.optimizedModelPath() != null) {
        opts.setOptimizedModelFilePath(config.optimizedModelPath().toString());
      }
      if (config.profilingPrefix() != null) {
        opts.enableProfiling(config.profilingPrefix().toString());
      }
      if (!config.disabledOptimizers().isEmpty()) {
        // ORT's session config key (onnxruntime_session_options_config_keys.h): comma-separated names.
        opts.addConfigEntry("optimization.disable_specified_optimizers",
            String.join(",", new java.util.TreeSet<>(config.disabledOptimizers())));
      }
      if (trt != null) {
        try (OrtTensorRTProviderOptions trtOpts = new OrtTensorRTProviderOptions(trt.deviceId())) {
          for (Map.Entry<String, String> e : trt.toProviderOptions().entrySet()) {
            trtOpts.add(e.getKey(), e.getValue());
          }
          opts.addTensorrt(trtOpts);
        }
      }
      OrtSession session = path != null ? env.createSession(path, opts) : env.createSession(bytes, opts);
      try {
        return new OnnxPredictor(env, session, trt != null ? RuntimeKind.ONNX_TENSORRT : RuntimeKind.ONNX_CPU);
      } catch (OrtException | RuntimeException e) {
        session.close();
        throw e;
      }
    } catch (OrtException e) {
      throw new PredictorException(
          (trt != null ? "TensorRT" : "ONNX Runtime CPU") + " could not load the model: " + e.getMessage(), e);
    }
  }

  @Override
  public Predictions predict(float[] normalizedBatch, int batchSize) throws PredictorException {
    Predictor.batchShape(normalizedBatch, batchSize, sampleShape, sampleSize);
    return predict(normalizedBatch, 0, batchSize);
  }

  @Override
  public Predictions predict(float[] rows, int fromRow, int batchSize) throws PredictorException {
    return predict(rows, fromRow, batchSize, true);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Without the embedding the session is asked for the logits alone: the embedding (64 to 800
   * floats per row for Osprey's students) is then not copied out at all.
   */
  @Override
  public Predictions predict(float[] rows, int fromRow, int batchSize, boolean withEmbedding)
      throws PredictorException {
    Predictor.checkRange(rows, fromRow, batchSize, sampleSize);
    long[] shape = Predictor.shape(batchSize, sampleShape);
    int from = fromRow * sampleSize;
    int length = batchSize * sampleSize;
    boolean own = inputLock.tryLock();
    try (OnnxTensor input = OnnxTensor.createTensor(env,
            own ? direct(rows, from, length) : FloatBuffer.wrap(rows, from, length).slice(), shape);
        OrtSession.Result result = withEmbedding || embeddingName == null
            ? session.run(Map.of(inputName, input))
            : session.run(Map.of(inputName, input), logitsOnly)) {
      float[] logits = floats(result, logitsName);
      float[] embedding = embeddingName == null || !withEmbedding ? new float[0] : floats(result, embeddingName);
      return new Predictions(batchSize, logits.length / batchSize, logits, embedding.length / batchSize, embedding);
    } catch (OrtException e) {
      throw new PredictorException("ONNX Runtime failed on a batch of " + batchSize + ": " + e.getMessage(), e);
    } finally {
      if (own) {
        inputLock.unlock();
      }
    }
  }

  /**
   * The batch in the predictor's direct buffer (the caller holds {@link #inputLock}): ORT copies a
   * heap buffer into a fresh direct one per call (allocated, zeroed, freed by a cleaner), but uses
   * a direct one as it is. The tensor is closed before {@link #predict} releases the lock.
   */
  private FloatBuffer direct(float[] rows, int from, int length) {
    if (inputBuffer == null || inputBuffer.capacity() < length) {
      inputBuffer = ByteBuffer.allocateDirect(length * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
    inputBuffer.clear();
    inputBuffer.put(rows, from, length);
    inputBuffer.flip();
    return inputBuffer;
  }

  private static float[] floats(OrtSession.Result result, String name) throws PredictorException {
    Optional<ai.onnxruntime.OnnxValue> v = result.get(name);
    if (v.isEmpty() || !(v.get() instanceof OnnxTensor t)) {
      throw new PredictorException("model produced no tensor '" + name + "'");
    }
    FloatBuffer fb = t.getFloatBuffer(); // a heap copy of the native output
    if (fb.hasArray() && fb.arrayOffset() == 0 && fb.position() == 0 && fb.array().length == fb.remaining()) {
      return fb.array(); // that copy's own array: no second copy
    }
    float[] out = new float[fb.remaining()];
    fb.get(out);
    return out;
  }

  /**
   * Stops profiling and returns the profile file ORT wrote.
   *
   * @throws PredictorException if profiling was not enabled
   */
  public String endProfiling() throws PredictorException {
    try {
      return session.endProfiling();
    } catch (OrtException e) {
      throw new PredictorException("could not end profiling: " + e.getMessage(), e);
    }
  }

  @Override
  public int sampleSize() {
    return sampleSize;
  }

  @Override
  public RuntimeKind activeRuntime() {
    return runtime;
  }

  @Override
  public boolean isThreadSafe() {
    return true;
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("could not close ONNX Runtime session", e);
    }
  }
}
