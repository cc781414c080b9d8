package dev.osprey.model.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.osprey.model.net.NetworkSpec;
import java.util.List;

/**
 * Runs the trained DJL block (PyTorch engine, fp32) stage by stage, so it returns the embedding
 * as well as the logits — the reference the ONNX and int8 runtimes are compared against.
 *
 * <p>Not thread-safe: use one instance per thread. The block is borrowed, not owned: closing this
 * predictor frees only its own native memory.
 */
public final class PyTorchPredictor implements Predictor {
  private final NetworkSpec spec;
  private final List<Block> stages;
  private final NDManager manager;
  private final long[] sampleShape;
  private final int sampleSize;

  /**
   * @param spec the architecture of {@code block}
   * @param block an initialized block built by {@code spec.build()}
   * @param manager the manager whose engine holds the block's parameters; a child is created
   */
  public PyTorchPredictor(NetworkSpec spec, Block block, NDManager manager) {
    this.spec = spec;
    this.stages = block.getChildren().values();
    if (stages.size() != 3) {
      throw new IllegalArgumentException("block has " + stages.size() + " stages, expected 3");
    }
    this.manager = manager.newSubManager();
    this.sampleShape = spec.inputShape().stream().mapToLong(Integer::longValue).toArray();
    int n = 1;
    for (long d : sampleShape) {
      n *= (int) d;
    }
    this.sampleSize = n;
  }

  @Override
  public Predictions predict(float[] normalizedBatch, int batchSize) {
    long[] shape = Predictor.batchShape(normalizedBatch, batchSize, sampleShape, sampleSize);
    try (NDManager m = manager.newSubManager()) {
      ParameterStore ps = new ParameterStore(m, false);
      NDList x = new NDList(m.create(normalizedBatch, new Shape(shape)));
      NDList features = stages.get(NetworkSpec.FEATURES).forward(ps, x, false);
      NDArray embedding = stages.get(NetworkSpec.EMBEDDING).forward(ps, features, false).singletonOrThrow();
      NDArray logits = stages.get(NetworkSpec.HEAD).forward(ps, new NDList(embedding), false).singletonOrThrow();
      return new Predictions(
          batchSize, spec.classes(), logits.toFloatArray(), spec.embeddingSize(), embedding.toFloatArray());
    }
  }

  @Override
  public int sampleSize() {
    return sampleSize;
  }

  @Override
  public RuntimeKind activeRuntime() {
    return RuntimeKind.PYTORCH;
  }

  @Override
  public boolean isThreadSafe() {
    return false;
  }

  @Override
  public void close() {
    manager.close();
  }
}
