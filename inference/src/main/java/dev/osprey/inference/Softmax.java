package dev.osprey.inference;

/** Logits to probabilities, numerically stable (the largest logit is subtracted first). */
final class Softmax {
  private Softmax() {}

  /** Softmax of {@code logits[from, from + classes)}. */
  static float[] of(float[] logits, int from, int classes) {
    float max = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      max = Math.max(max, logits[from + c]);
    }
    double sum = 0;
    double[] e = new double[classes];
    for (int c = 0; c < classes; c++) {
      e[c] = Math.exp(logits[from + c] - max);
      sum += e[c];
    }
    float[] p = new float[classes];
    for (int c = 0; c < classes; c++) {
      p[c] = (float) (e[c] / sum);
    }
    return p;
  }

  /** Index of the largest value (the first one on ties). */
  static int argmax(float[] p) {
    int best = 0;
    for (int c = 1; c < p.length; c++) {
      if (p[c] > p[best]) {
        best = c;
      }
    }
    return best;
  }
}
