package dev.osprey.model.runtime;

/**
 * Runs a classifier on batches of already-normalized input (the {@code InputSpec} normalization
 * happens before, outside the model). Implementations hold native resources: close them.
 *
 * <p>Thread safety is per implementation and stated by {@link #isThreadSafe()}: the ONNX Runtime
 * predictors may be shared (an {@code OrtSession} allows concurrent {@code run} calls); the
 * PyTorch one must not be.
 */
public interface Predictor extends AutoCloseable {

  /**
   * Runs one batch.
   *
   * @param normalizedBatch batchSize * sampleSize floats, row-major
   * @param batchSize number of samples, >= 1
   * @throws IllegalArgumentException if the array length does not match batchSize * sampleSize
   * @throws PredictorException if the engine fails
   */
  Predictions predict(float[] normalizedBatch, int batchSize) throws PredictorException;

  /** Floats per sample (product of the input shape without the batch dimension). */
  int sampleSize();

  /** The runtime actually running the model (never {@link RuntimeKind#AUTO}). */
  RuntimeKind activeRuntime();

  /** Whether one instance may be called from several threads at once. */
  boolean isThreadSafe();

  @Override
  void close();

  /**
   * The input shape [batchSize, sampleShape...] of a batch, after checking the batch holds exactly
   * {@code batchSize} samples (shared by the implementations' {@link #predict}).
   *
   * @throws IllegalArgumentException if it does not
   */
  static long[] batchShape(float[] normalizedBatch, int batchSize, long[] sampleShape, int sampleSize) {
    if (batchSize < 1 || normalizedBatch.length != batchSize * sampleSize) {
      throw new IllegalArgumentException(
          "batch of " + normalizedBatch.length + " floats does not hold " + batchSize + " samples of " + sampleSize);
    }
    long[] shape = new long[sampleShape.length + 1];
    shape[0] = batchSize;
    System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
    return shape;
  }
}
