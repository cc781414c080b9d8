package dev.osprey.model;

/** Class probabilities from logits, and the winning class: the one place both are computed. */
public final class Softmax {
  private Softmax() {}

  /** Softmax of one row, computed in double after subtracting the max so large logits cannot overflow. */
  public static float[] of(float[] logits) {
    return of(logits, 1f);
  }

  /** {@code softmax(z / T)} of one row (Hinton's temperature; T = 1 is the plain softmax), computed stably. */
  public static float[] of(float[] logits, float temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (float z : logits) {
      max = Math.max(max, z / temperature);
    }
    double[] e = new double[logits.length];
    double sum = 0;
    for (int k = 0; k < logits.length; k++) {
      e[k] = Math.exp(logits[k] / temperature - max);
      sum += e[k];
    }
    float[] p = new float[logits.length];
    for (int k = 0; k < logits.length; k++) {
      p[k] = (float) (e[k] / sum);
    }
    return p;
  }

  /** Index of the largest value of a row (the first one on ties). */
  public static int argmax(float[] row) {
    return argmax(row, 0, row.length);
  }

  /** Index, counted from {@code offset}, of the largest of {@code values[offset, offset + length)} (the first on ties). */
  public static int argmax(float[] values, int offset, int length) {
    if (length < 1) {
      throw new IllegalArgumentException("argmax of an empty row");
    }
    int best = 0;
    for (int c = 1; c < length; c++) {
      if (values[offset + c] > values[offset + best]) {
        best = c;
      }
    }
    return best;
  }
}
