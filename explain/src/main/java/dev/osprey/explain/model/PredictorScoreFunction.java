package dev.osprey.explain.model;

import dev.osprey.explain.ImageShape;
import dev.osprey.model.Softmax;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.PredictorException;

/**
 * The black-box view of a served model: runs a {@link Predictor} (e.g. the int8 ONNX graph on
 * ONNX Runtime) on batches of at most {@code maxBatch} rows and turns logits into class
 * probabilities. Borrows the predictor (does not close it); thread-safe exactly when the
 * predictor is.
 */
public final class PredictorScoreFunction implements ScoreFunction {
  private final Predictor predictor;
  private final ImageShape shape;
  private final int classes;
  private final ModelRuntime runtime;
  private final int maxBatch;

  /**
   * @param predictor the served model
   * @param shape its per-sample input shape
   * @param classes its number of classes
   * @param precision what the predictor computes in, e.g. "int8" (a {@link Predictor} does not say)
   * @param maxBatch rows per call to the predictor, >= 1
   * @throws IllegalArgumentException if the shape does not match the predictor or maxBatch < 1
   */
  public PredictorScoreFunction(Predictor predictor, ImageShape shape, int classes, String precision, int maxBatch) {
    if (shape.size() != predictor.sampleSize()) {
      throw new IllegalArgumentException("shape " + shape + " does not match the predictor's " + predictor.sampleSize() + " floats");
    }
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
    }
    this.predictor = predictor;
    this.shape = shape;
    this.classes = classes;
    this.runtime = new ModelRuntime(predictor.activeRuntime().configName(), precision);
    this.maxBatch = maxBatch;
  }

  @Override
  public float[][] scores(float[][] inputs) {
    checkBatch(inputs, null);
    int n = shape.size();
    float[][] out = new float[inputs.length][];
    for (int from = 0; from < inputs.length; from += maxBatch) {
      int rows = Math.min(maxBatch, inputs.length - from);
      float[] batch = new float[rows * n];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(inputs[from + r], 0, batch, r * n, n);
      }
      Predictions p;
      try {
        p = predictor.predict(batch, rows);
      } catch (PredictorException e) {
        throw new ModelEvaluationException(runtime + " failed on a batch of " + rows + ": " + e.getMessage(), e);
      }
      if (p.classes() != classes) {
        throw new ModelEvaluationException("predictor returned " + p.classes() + " classes, expected " + classes, null);
      }
      for (int r = 0; r < rows; r++) {
        out[from + r] = Softmax.of(p.logits(r));
      }
    }
    return out;
  }

  @Override
  public ImageShape inputShape() {
    return shape;
  }

  @Override
  public int classes() {
    return classes;
  }

  @Override
  public ModelRuntime runtime() {
    return runtime;
  }
}
