package dev.osprey.explain.shap;

import dev.osprey.explain.model.ScoreFunction;

/**
 * The cooperative game KernelSHAP and exact Shapley both solve: players are patches, and the
 * value of a coalition S is {@code v(S) = mean_b f_c(x_S, b_notS)}, the model's class score
 * with the patches in S taken from the input x and the others from background sample b,
 * averaged over the background set (features outside S are marginalized out, treated as
 * independent of those in S — the interventional Shapley value KernelSHAP estimates).
 *
 * <p>A coalition is a bit mask (bit p = patch p present), so at most 63 patches.
 */
public final class PatchGame {
  /** Rows per call to the model: bounds memory while keeping batches large. */
  private static final int ROWS_PER_CALL = 2048;

  private final ScoreFunction model;
  private final float[] input;
  private final float[][] background;
  private final PatchGrid grid;
  private final int target;
  private long modelNanos;

  /**
   * @throws IllegalArgumentException if the grid has more than 63 patches, does not fit the
   *     model's input, the background is empty, or a sample has the wrong length
   */
  public PatchGame(ScoreFunction model, float[] input, float[][] background, PatchGrid grid, int target) {
    if (grid.size() > 63) {
      throw new IllegalArgumentException("at most 63 patches, got " + grid.size());
    }
    if (!grid.shape().equals(model.inputShape())) {
      throw new IllegalArgumentException("grid over " + grid.shape() + " does not fit model input " + model.inputShape());
    }
    if (background.length == 0) {
      throw new IllegalArgumentException("the background set is empty");
    }
    model.checkBatch(background, null);
    model.inputShape().check(input);
    this.model = model;
    this.input = input;
    this.background = background;
    this.grid = grid;
    this.target = target;
  }

  public int players() {
    return grid.size();
  }

  public PatchGrid grid() {
    return grid;
  }

  /** Mask with every patch present. */
  public long fullMask() {
    return grid.size() == 63 ? Long.MAX_VALUE : (1L << grid.size()) - 1;
  }

  /** Nanoseconds spent in the model so far. */
  public long modelNanos() {
    return modelNanos;
  }

  /** {@code f_c(x)}: the full coalition (one row, the background does not matter). */
  public double fullValue() {
    return score(new float[][] {input})[0];
  }

  /** {@code E_b[f_c(b)]}: the empty coalition. */
  public double emptyValue() {
    float[] s = score(background);
    double sum = 0;
    for (float v : s) {
      sum += v;
    }
    return sum / s.length;
  }

  /** The value of each coalition (background rows batched together). */
  public double[] values(long[] masks) {
    double[] out = new double[masks.length];
    int perCall = Math.max(1, ROWS_PER_CALL / background.length);
    for (int from = 0; from < masks.length; from += perCall) {
      int count = Math.min(perCall, masks.length - from);
      float[][] rows = new float[count * background.length][];
      for (int k = 0; k < count; k++) {
        for (int b = 0; b < background.length; b++) {
          rows[k * background.length + b] = compose(masks[from + k], background[b]);
        }
      }
      float[] s = score(rows);
      for (int k = 0; k < count; k++) {
        double sum = 0;
        for (int b = 0; b < background.length; b++) {
          sum += s[k * background.length + b];
        }
        out[from + k] = sum / background.length;
      }
    }
    return out;
  }

  private float[] compose(long mask, float[] back) {
    float[] row = back.clone();
    for (int p = 0; p < grid.size(); p++) {
      if ((mask >>> p & 1L) != 0) {
        for (int i : grid.pixels(p)) {
          row[i] = input[i];
        }
      }
    }
    return row;
  }

  private float[] score(float[][] rows) {
    long t0 = System.nanoTime();
    try {
      return model.scores(rows, target);
    } finally {
      modelNanos += System.nanoTime() - t0;
    }
  }
}
