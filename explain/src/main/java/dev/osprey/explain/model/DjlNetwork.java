package dev.osprey.explain.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.explain.ImageShape;
import dev.osprey.model.net.LayerSpec;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.publish.PublishedNetwork;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelVersion;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fp32 DJL (PyTorch engine) network of a model version — the differentiable twin of the
 * served int8 graph — as a {@link GradientModel} and a {@link ScoreFunction}.
 *
 * <p>The network built by {@link NetworkSpec#build()} is run layer by layer so Grad-CAM can cut
 * it after the last convolution (conv, then its batch norm and ReLU; before pooling, so the map
 * has the conv layer's resolution, 14x14 for the served CNNs), make that activation a gradient
 * leaf and run the rest.
 *
 * <p>PyTorch allows one open {@code GradientCollector} per process and accumulates gradients into
 * every leaf that requires them. So the constructor freezes the network's parameters (gradients
 * are taken only with respect to inputs and feature maps, and nothing is ever trained here), each
 * call creates fresh input leaves inside a fresh collector, and a process-wide lock serializes the
 * collectors of all instances. Score calls take no lock.
 *
 * <p>Not thread-safe for concurrent calls on one instance beyond that lock's guarantee; the
 * block is borrowed unless the instance was created by {@link #load}, {@link #of} or {@link #copy}.
 */
public final class DjlNetwork implements GradientModel, ScoreFunction, AutoCloseable {
  /** PyTorch (through DJL) allows only one open GradientCollector per process: the lock the trainer holds too. */
  private static final ReentrantLock COLLECTOR_LOCK = dev.osprey.model.runtime.GradientLock.get();
  private static final int MAX_SCORE_BATCH = 256;
  private static final ModelRuntime RUNTIME = new ModelRuntime("pytorch", "fp32");
  private static final Logger LOG = LoggerFactory.getLogger(DjlNetwork.class);

  private final NetworkSpec spec;
  private final Block block;
  private final NDManager manager;
  private final AutoCloseable owner;
  private final List<Block> featureLayers;
  private final Block embedding;
  private final Block head;
  private final int camSplit;
  private final ImageShape shape;
  private final long[] batchShape;
  private Boolean batchedExact;

  private DjlNetwork(NetworkSpec spec, Block block, NDManager parent, AutoCloseable owner) {
    DjlOfflineGuard.requireActive();
    var stages = block.getChildren().values();
    if (stages.size() != 3) {
      throw new IllegalArgumentException("expected a 3-stage network (features, embedding, head), got " + stages.size());
    }
    this.spec = spec;
    this.block = block;
    this.manager = parent.newSubManager();
    this.owner = owner;
    this.featureLayers = stages.get(NetworkSpec.FEATURES).getChildren().values();
    this.embedding = stages.get(NetworkSpec.EMBEDDING);
    this.head = stages.get(NetworkSpec.HEAD);
    this.camSplit = camSplit(spec.features());
    this.shape = ImageShape.of(spec.inputShape());
    this.batchShape = new long[spec.inputShape().size() + 1];
    for (int i = 0; i < spec.inputShape().size(); i++) {
      batchShape[i + 1] = spec.inputShape().get(i);
    }
    block.freezeParameters(true);
  }

  /**
   * Wraps an initialized block built by {@code spec.build()} (borrowed: closing this does not
   * close it). Freezes the block's parameters.
   *
   * @param parent the manager that holds the block's parameters; a child is created
   */
  public static DjlNetwork borrow(NetworkSpec spec, Block block, NDManager parent) {
    return new DjlNetwork(spec, block, parent, null);
  }

  /** Wraps a loaded network (trained directory or registry version); closing this closes it. */
  public static DjlNetwork of(dev.osprey.model.runtime.DjlNetwork network) {
    return new DjlNetwork(network.spec(), network.block(), network.manager(), network);
  }

  /**
   * Rebuilds the fp32 network of a registry version (see {@link PublishedNetwork}).
   *
   * @throws ModelLoadException if the version has no DJL network (an imported ONNX model) or its
   *     parameters do not fit
   */
  public static DjlNetwork load(ModelVersion version) throws ModelLoadException {
    return of(PublishedNetwork.load(version));
  }

  /**
   * A deep copy with its own parameters (for weight randomization); close it.
   *
   * @throws ModelEvaluationException if the parameters cannot be copied
   */
  public DjlNetwork copy() {
    NDManager copyManager = NDManager.newBaseManager(manager.getDevice(), manager.getEngine().getEngineName());
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        block.saveParameters(out);
      }
      Block twin = spec.build();
      long[] one = batchShape.clone();
      one[0] = 1;
      twin.initialize(copyManager, DataType.FLOAT32, new Shape(one));
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
        twin.loadParameters(copyManager, in);
      }
      return new DjlNetwork(spec, twin, copyManager, copyManager);
    } catch (IOException | MalformedModelException | RuntimeException e) {
      copyManager.close();
      throw new ModelEvaluationException("cannot copy the parameters of " + spec.name() + ": " + e.getMessage(), e);
    }
  }

  public NetworkSpec spec() {
    return spec;
  }

  /** The network (its parameters are frozen). */
  public Block block() {
    return block;
  }

  /** Whether {@link #featureMapGradients} is available (the network has a convolution). */
  public boolean hasConvolution() {
    return camSplit > 0;
  }

  @Override
  public ImageShape inputShape() {
    return shape;
  }

  @Override
  public int classes() {
    return spec.classes();
  }

  @Override
  public ModelRuntime runtime() {
    return RUNTIME;
  }

  @Override
  public float[][] scores(float[][] inputs) {
    return outputs(inputs, OutputKind.PROBABILITY);
  }

  /** Forward only, in batches of at most 256; takes no collector lock. */
  @Override
  public float[][] outputs(float[][] inputs, OutputKind output) {
    checkBatch(inputs, null);
    float[][] out = new float[inputs.length][];
    for (int from = 0; from < inputs.length; from += MAX_SCORE_BATCH) {
      int rows = Math.min(MAX_SCORE_BATCH, inputs.length - from);
      try (NDManager m = manager.newSubManager()) {
        ParameterStore ps = new ParameterStore(m, false);
        NDArray x = batch(m, inputs, from, rows);
        NDArray p = select(rest(ps, run(featureLayers, 0, featureLayers.size(), ps, x)), output);
        split(p.toFloatArray(), rows, spec.classes(), out, from);
      } catch (RuntimeException e) {
        throw evaluationFailure(e);
      }
    }
    return out;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Batched (one backward pass for the whole batch) when this process computes batched
   * convolution input gradients correctly, else one backward pass per sample. The PyTorch 2.7.1
   * CPU build DJL 0.35.1 ships gets them wrong on AVX-512 machines: its oneDNN AVX-512
   * backward-data kernel, which PyTorch picks for batches of more than one sample, returns wrong
   * input gradients for a convolution with 8 output channels (16 are right; the cnn-student's
   * first conv has 8). Capping oneDNN at AVX2 ({@code ONEDNN_MAX_CPU_ISA=AVX2} in the environment
   * before the JVM starts) makes them exact. {@link #batchedGradientsExact()} checks which case
   * holds once per instance, so a wrong engine costs speed, never correctness.
   */
  @Override
  public InputGradients inputGradients(float[][] inputs, int[] targets, OutputKind output) {
    checkBatch(inputs, targets);
    if (inputs.length == 1 || batchedGradientsExact()) {
      return inputGradientsOf(inputs, targets, output);
    }
    float[][] outputs = new float[inputs.length][];
    float[][] grads = new float[inputs.length][];
    for (int i = 0; i < inputs.length; i++) {
      InputGradients one = inputGradientsOf(new float[][] {inputs[i]}, new int[] {targets[i]}, output);
      outputs[i] = one.outputs()[0];
      grads[i] = one.gradients()[0];
    }
    return new InputGradients(outputs, grads);
  }

  /**
   * Whether one backward pass over a batch gives the same input gradients as one pass per sample
   * on this engine (checked once, on two fixed pseudo-random inputs, relative tolerance 1e-4).
   */
  public synchronized boolean batchedGradientsExact() {
    if (batchedExact == null) {
      float[][] probe = new float[2][shape.size()];
      Random rnd = new Random(17);
      for (float[] row : probe) {
        for (int i = 0; i < row.length; i++) {
          row[i] = (float) rnd.nextGaussian();
        }
      }
      int[] targets = {0, classes() - 1};
      float[][] batched = inputGradientsOf(probe, targets, OutputKind.LOGIT).gradients();
      boolean exact = true;
      for (int i = 0; i < probe.length && exact; i++) {
        float[] single = inputGradientsOf(new float[][] {probe[i]}, new int[] {targets[i]}, OutputKind.LOGIT).gradients()[0];
        float scale = 0;
        for (float v : single) {
          scale = Math.max(scale, Math.abs(v));
        }
        for (int j = 0; j < single.length && exact; j++) {
          exact = Math.abs(single[j] - batched[i][j]) <= 1e-4f * scale + 1e-9f;
        }
      }
      batchedExact = exact;
      if (!exact) {
        LOG.warn("this PyTorch build computes wrong batched convolution input gradients for {} (oneDNN AVX-512 "
            + "backward-data); gradients of {} run one sample at a time. Start the JVM with ONEDNN_MAX_CPU_ISA=AVX2 "
            + "in the environment to batch them (bin/osprey does for explain)", spec.name(), spec.name());
      }
    }
    return batchedExact;
  }

  /** One forward and one backward pass over the whole batch; the target outputs are summed, so sample i's gradient is its own. */
  private InputGradients inputGradientsOf(float[][] inputs, int[] targets, OutputKind output) {
    COLLECTOR_LOCK.lock();
    try (NDManager m = manager.newSubManager()) {
      ParameterStore ps = new ParameterStore(m, false);
      NDArray x = batch(m, inputs, 0, inputs.length);
      x.setRequiresGradient(true);
      NDArray out;
      try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
        out = select(rest(ps, run(featureLayers, 0, featureLayers.size(), ps, x)), output);
        gc.backward(out.mul(oneHot(m, targets)).sum());
      }
      int n = inputs.length;
      return new InputGradients(split(out.toFloatArray(), n, spec.classes(), null, 0),
          split(x.getGradient().toFloatArray(), n, shape.size(), null, 0));
    } catch (RuntimeException e) {
      throw evaluationFailure(e);
    } finally {
      COLLECTOR_LOCK.unlock();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Batched: the gradient leaf is after the last convolution, so no convolution is
   * differentiated with respect to its input (see {@link #inputGradients}).
   */
  @Override
  public FeatureMapGradients featureMapGradients(float[][] inputs, int[] targets, OutputKind output) {
    if (!hasConvolution()) {
      throw new UnsupportedOperationException(spec.name() + " has no convolutional layer (Grad-CAM needs one)");
    }
    checkBatch(inputs, targets);
    COLLECTOR_LOCK.lock();
    try (NDManager m = manager.newSubManager()) {
      ParameterStore ps = new ParameterStore(m, false);
      // The maps are computed outside the collector and become the leaf the gradient is taken to.
      NDArray maps = run(featureLayers, 0, camSplit, ps, batch(m, inputs, 0, inputs.length)).duplicate();
      maps.setRequiresGradient(true);
      NDArray out;
      try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
        out = select(rest(ps, run(featureLayers, camSplit, featureLayers.size(), ps, maps)), output);
        gc.backward(out.mul(oneHot(m, targets)).sum());
      }
      Shape s = maps.getShape();
      int k = (int) s.get(1);
      int h = (int) s.get(2);
      int w = (int) s.get(3);
      int n = inputs.length;
      return new FeatureMapGradients(
          split(out.toFloatArray(), n, spec.classes(), null, 0), k, h, w,
          split(maps.toFloatArray(), n, k * h * w, null, 0),
          split(maps.getGradient().toFloatArray(), n, k * h * w, null, 0));
    } catch (RuntimeException e) {
      throw evaluationFailure(e);
    } finally {
      COLLECTOR_LOCK.unlock();
    }
  }

  @Override
  public void close() {
    manager.close();
    if (owner != null) {
      try {
        owner.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing " + spec.name() + " failed", e);
      }
    }
  }

  /** Index after the last conv and the batch norm / ReLU that directly follow it; 0 if none. */
  static int camSplit(List<LayerSpec> features) {
    int last = -1;
    for (int i = 0; i < features.size(); i++) {
      if (features.get(i) instanceof LayerSpec.Conv) {
        last = i;
      }
    }
    if (last < 0) {
      return 0;
    }
    int end = last + 1;
    while (end < features.size()
        && (features.get(end) instanceof LayerSpec.BatchNormalization || features.get(end) instanceof LayerSpec.Relu)) {
      end++;
    }
    return end;
  }

  private NDArray batch(NDManager m, float[][] inputs, int from, int rows) {
    int n = shape.size();
    float[] flat = new float[rows * n];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(inputs[from + r], 0, flat, r * n, n);
    }
    long[] bs = batchShape.clone();
    bs[0] = rows;
    return m.create(flat, new Shape(bs));
  }

  private NDArray oneHot(NDManager m, int[] targets) {
    float[] mask = new float[targets.length * spec.classes()];
    for (int i = 0; i < targets.length; i++) {
      mask[i * spec.classes() + targets[i]] = 1f;
    }
    return m.create(mask, new Shape(targets.length, spec.classes()));
  }

  private static NDArray select(NDArray logits, OutputKind output) {
    return output == OutputKind.PROBABILITY ? logits.softmax(1) : logits;
  }

  private static NDArray run(List<Block> layers, int from, int to, ParameterStore ps, NDArray x) {
    NDArray y = x;
    for (int i = from; i < to; i++) {
      y = layers.get(i).forward(ps, new NDList(y), false).singletonOrThrow();
    }
    return y;
  }

  /** Embedding and head stages: logits. */
  private NDArray rest(ParameterStore ps, NDArray features) {
    NDList e = embedding.forward(ps, new NDList(features), false);
    return head.forward(ps, e, false).singletonOrThrow();
  }

  private static float[][] split(float[] flat, int rows, int cols, float[][] into, int offset) {
    float[][] out = into != null ? into : new float[rows][];
    for (int r = 0; r < rows; r++) {
      out[offset + r] = java.util.Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
    }
    return out;
  }

  private ModelEvaluationException evaluationFailure(RuntimeException e) {
    if (e instanceof ModelEvaluationException me) {
      return me;
    }
    return new ModelEvaluationException(RUNTIME + " " + spec.name() + " failed: " + e.getMessage(), e);
  }
}
