package dev.osprey.explain.sanity;

import dev.osprey.explain.model.ScoreFunction;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Faithfulness by deletion (Petsiuk et al. 2018, "RISE"): replace the input's pixels with a fill
 * value in order of decreasing attribution and watch the class score fall; a faithful map makes
 * it fall faster than a random order. The area under the curve (fraction deleted on the x axis,
 * score on the y axis, trapezoid rule) summarizes it: lower is better.
 */
public final class DeletionCurve {

  /**
   * @param fractions fraction of pixels deleted at each point (0 first, 1 last)
   * @param byAttribution class score with the top-attributed pixels deleted
   * @param random class score with the same number of pixels deleted in a random order
   */
  public record Curve(double[] fractions, double[] byAttribution, double[] random) {
    public double areaByAttribution() {
      return area(fractions, byAttribution);
    }

    public double areaRandom() {
      return area(fractions, random);
    }
  }

  private final ScoreFunction model;
  private final float fill;
  private final int points;

  /**
   * @param fill the deleted pixels' value (normalized; e.g. black)
   * @param points points on the curve, >= 2
   */
  public DeletionCurve(ScoreFunction model, float fill, int points) {
    if (points < 2) {
      throw new IllegalArgumentException("points must be >= 2, got " + points);
    }
    this.model = model;
    this.fill = fill;
    this.points = points;
  }

  /** The curve for one input; the random order comes from {@code seed}. */
  public Curve measure(float[] input, int target, float[] attributions, long seed) {
    model.inputShape().check(input);
    int n = input.length;
    List<Integer> order = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingDouble((Integer i) -> -attributions[i]).thenComparingInt(i -> i));
    List<Integer> shuffled = new ArrayList<>(order);
    java.util.Collections.shuffle(shuffled, new Random(seed));
    double[] fractions = new double[points];
    float[][] batch = new float[2 * points][];
    for (int k = 0; k < points; k++) {
      fractions[k] = (double) k / (points - 1);
      int count = (int) Math.round(fractions[k] * n);
      batch[k] = deleted(input, order, count);
      batch[points + k] = deleted(input, shuffled, count);
    }
    float[] s = model.scores(batch, target);
    double[] a = new double[points];
    double[] r = new double[points];
    for (int k = 0; k < points; k++) {
      a[k] = s[k];
      r[k] = s[points + k];
    }
    return new Curve(fractions, a, r);
  }

  private float[] deleted(float[] input, List<Integer> order, int count) {
    float[] x = input.clone();
    for (int i = 0; i < count; i++) {
      x[order.get(i)] = fill;
    }
    return x;
  }

  static double area(double[] x, double[] y) {
    double a = 0;
    for (int i = 1; i < x.length; i++) {
      a += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
    }
    return a;
  }
}
