package dev.osprey.model;

/** Class probabilities from logits. */
public final class Softmax {
  private Softmax() {}

  /** Softmax of one row, computed in double after subtracting the max so large logits cannot overflow. */
  public static float[] of(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double[] e = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      e[i] = Math.exp(logits[i] - max);
      sum += e[i];
    }
    float[] p = new float[logits.length];
    for (int i = 0; i < logits.length; i++) {
      p[i] = (float) (e[i] / sum);
    }
    return p;
  }
}
