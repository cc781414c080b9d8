package dev.osprey.monitor.stats;

import java.util.SplittableRandom;

/**
 * Random Fourier features for the Gaussian RBF kernel (Rahimi and Recht 2007):
 * {@code φ(x) = sqrt(2/D) cos(W x + b)} with {@code W ~ N(0, σ^-2 I)}, {@code b ~ U(0, 2π)}, so
 * that {@code φ(x)·φ(y) ≈ k(x, y)}. Then {@code |mean φ(X) - mean φ(Y)|^2} estimates MMD^2 between
 * X and Y in time linear in the sample sizes, and a sliding window keeps a running sum of φ.
 * Immutable and thread-safe once built.
 */
public final class RandomFourierFeatures {
  private final int inputDim;
  private final int features;
  private final float[] weights; // features x inputDim, row-major
  private final float[] phases;
  private final double scale;

  /**
   * @param inputDim width of the input rows
   * @param features D, the number of random features (more = closer to the exact kernel)
   * @param sigma kernel bandwidth
   * @param seed the draw of W and b
   */
  public RandomFourierFeatures(int inputDim, int features, double sigma, long seed) {
    if (inputDim < 1 || features < 1) {
      throw new IllegalArgumentException("inputDim and features must be >= 1, got " + inputDim + ", " + features);
    }
    if (!(sigma > 0) || Double.isInfinite(sigma)) {
      throw new IllegalArgumentException("sigma must be finite and > 0, got " + sigma);
    }
    this.inputDim = inputDim;
    this.features = features;
    this.weights = new float[features * inputDim];
    this.phases = new float[features];
    this.scale = Math.sqrt(2.0 / features);
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) (rnd.nextGaussian() / sigma);
    }
    for (int f = 0; f < features; f++) {
      phases[f] = (float) (rnd.nextDouble() * 2 * Math.PI);
    }
  }

  public int inputDim() {
    return inputDim;
  }

  public int features() {
    return features;
  }

  /** Writes φ(x) into {@code out} (length {@link #features()}). */
  public void map(float[] x, double[] out) {
    if (x.length != inputDim) {
      throw new IllegalArgumentException("row has " + x.length + " values, expected " + inputDim);
    }
    for (int f = 0; f < features; f++) {
      int base = f * inputDim;
      double dot = phases[f];
      for (int i = 0; i < inputDim; i++) {
        dot += weights[base + i] * x[i];
      }
      out[f] = scale * Math.cos(dot);
    }
  }

  /** φ(x) as a new array. */
  public double[] map(float[] x) {
    double[] out = new double[features];
    map(x, out);
    return out;
  }
}
