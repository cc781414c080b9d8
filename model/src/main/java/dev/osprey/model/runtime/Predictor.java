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

  /**
   * Runs the {@code batchSize} rows of {@code rows} starting at row {@code fromRow}: a batch cut
   * from a larger buffer. This default copies them out; the ONNX Runtime predictor reads them in place.
   *
   * @throws IllegalArgumentException if the rows are not all inside {@code rows}
   * @throws PredictorException if the engine fails
   */
  default Predictions predict(float[] rows, int fromRow, int batchSize) throws PredictorException {
    int n = sampleSize();
    checkRange(rows, fromRow, batchSize, n);
    return predict(fromRow == 0 && rows.length == batchSize * n ? rows
        : java.util.Arrays.copyOfRange(rows, fromRow * n, (fromRow + batchSize) * n), batchSize);
  }

  /**
   * As {@link #predict(float[], int, int)}, with the embedding only if {@code withEmbedding}: a
   * caller that does not use it need not have it copied out of the engine (the ONNX Runtime
   * predictor asks the session for the logits alone). This default drops it after the call.
   *
   * @throws IllegalArgumentException if the rows are not all inside {@code rows}
   * @throws PredictorException if the engine fails
   */
  default Predictions predict(float[] rows, int fromRow, int batchSize, boolean withEmbedding)
      throws PredictorException {
    Predictions p = predict(rows, fromRow, batchSize);
    return withEmbedding ? p : p.withoutEmbedding();
  }

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
    return shape(batchSize, sampleShape);
  }

  /**
   * Checks rows {@code fromRow .. fromRow + batchSize - 1} of {@code sampleSize} floats lie inside {@code rows}.
   *
   * @throws IllegalArgumentException if they do not
   */
  static void checkRange(float[] rows, int fromRow, int batchSize, int sampleSize) {
    if (batchSize < 1 || fromRow < 0 || (long) (fromRow + batchSize) * sampleSize > rows.length) {
      throw new IllegalArgumentException("rows " + fromRow + ".." + (fromRow + batchSize - 1) + " of " + sampleSize
          + " floats are not inside a buffer of " + rows.length);
    }
  }

  /** [batchSize, sampleShape...]. */
  static long[] shape(int batchSize, long[] sampleShape) {
    long[] shape = new long[sampleShape.length + 1];
    shape[0] = batchSize;
    System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
    return shape;
  }
}
