package dev.osprey.explain;

import dev.osprey.explain.model.FeatureMapGradients;
import dev.osprey.explain.model.GradientModel;
import dev.osprey.explain.model.InputGradients;
import dev.osprey.explain.model.ModelRuntime;
import dev.osprey.explain.model.OutputKind;
import dev.osprey.explain.model.ScoreFunction;
import java.util.Random;

/**
 * A softmax-free linear model {@code f_c(x) = w_c . x + b_c}, in plain Java: the closed forms
 * (gradient = w, IG = (x - x') w, SHAP = w (x - E[x])) hold exactly for it. Both output kinds
 * return the linear score.
 */
public final class LinearModel implements GradientModel, ScoreFunction {
  private final ImageShape shape;
  private final float[][] w;
  private final float[] b;

  public LinearModel(ImageShape shape, float[][] w, float[] b) {
    this.shape = shape;
    this.w = w;
    this.b = b;
  }

  /** Random weights N(0, 1) and biases, seeded. */
  public static LinearModel random(ImageShape shape, int classes, long seed) {
    Random r = new Random(seed);
    float[][] w = new float[classes][shape.size()];
    float[] b = new float[classes];
    for (int c = 0; c < classes; c++) {
      for (int i = 0; i < shape.size(); i++) {
        w[c][i] = (float) r.nextGaussian();
      }
      b[c] = (float) r.nextGaussian();
    }
    return new LinearModel(shape, w, b);
  }

  public float[] weights(int c) {
    return w[c].clone();
  }

  @Override
  public ImageShape inputShape() {
    return shape;
  }

  @Override
  public int classes() {
    return w.length;
  }

  @Override
  public ModelRuntime runtime() {
    return new ModelRuntime("java", "fp64");
  }

  @Override
  public float[][] scores(float[][] inputs) {
    checkBatch(inputs, null);
    float[][] out = new float[inputs.length][w.length];
    for (int i = 0; i < inputs.length; i++) {
      for (int c = 0; c < w.length; c++) {
        double s = b[c];
        for (int k = 0; k < shape.size(); k++) {
          s += (double) w[c][k] * inputs[i][k];
        }
        out[i][c] = (float) s;
      }
    }
    return out;
  }

  @Override
  public InputGradients inputGradients(float[][] inputs, int[] targets, OutputKind output) {
    checkBatch(inputs, targets);
    float[][] g = new float[inputs.length][];
    for (int i = 0; i < inputs.length; i++) {
      g[i] = w[targets[i]].clone();
    }
    return new InputGradients(scores(inputs), g);
  }

  @Override
  public FeatureMapGradients featureMapGradients(float[][] inputs, int[] targets, OutputKind output) {
    throw new UnsupportedOperationException("a linear model has no convolution");
  }
}
