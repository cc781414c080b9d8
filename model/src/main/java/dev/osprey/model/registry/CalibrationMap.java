package dev.osprey.model.registry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A monotone map from a prediction's confidence to the probability that it is right, fit on
 * labeled reference data by isotonic regression (pool-adjacent-violators) and evaluated by linear
 * interpolation between the fitted blocks' mean confidences, clamped at the ends (as scikit-learn's
 * {@code IsotonicRegression(out_of_bounds="clip")}). Immutable.
 *
 * @param knots increasing confidences (block means)
 * @param values non-decreasing probabilities of being right at the knots
 */
public record CalibrationMap(double[] knots, double[] values) {

  /** @throws IllegalArgumentException if the arrays are empty, differ in length or are not monotone */
  public CalibrationMap {
    if (knots.length == 0 || knots.length != values.length) {
      throw new IllegalArgumentException("knots and values must be non-empty and equally long");
    }
    for (int i = 1; i < knots.length; i++) {
      if (!(knots[i] > knots[i - 1]) || values[i] < values[i - 1]) {
        throw new IllegalArgumentException("knots must increase and values must not decrease");
      }
    }
    knots = knots.clone();
    values = values.clone();
  }

  /** The identity: a model taken as calibrated (its confidence is its accuracy). */
  public static CalibrationMap identity() {
    return new CalibrationMap(new double[] {0, 1}, new double[] {0, 1});
  }

  /**
   * Isotonic fit of correctness on confidence.
   *
   * @throws IllegalArgumentException if the arrays are empty or differ in length
   */
  public static CalibrationMap fit(float[] confidence, boolean[] correct) {
    int n = confidence.length;
    if (n == 0 || correct.length != n) {
      throw new IllegalArgumentException("need one correctness flag per confidence, got " + n + " and " + correct.length);
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(confidence[a], confidence[b]));
    // blocks of (sum x, sum y, weight); ties in x are pooled first so each knot is distinct
    List<double[]> blocks = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      int i = order[k];
      double x = confidence[i];
      double y = correct[i] ? 1 : 0;
      double[] last = blocks.isEmpty() ? null : blocks.get(blocks.size() - 1);
      if (last != null && last[0] / last[2] == x) {
        last[1] += y;
        last[2] += 1;
        last[0] += x;
      } else {
        blocks.add(new double[] {x, y, 1});
      }
      // pool adjacent violators
      while (blocks.size() > 1) {
        double[] b = blocks.get(blocks.size() - 1);
        double[] a = blocks.get(blocks.size() - 2);
        if (a[1] / a[2] < b[1] / b[2]) {
          break;
        }
        a[0] += b[0];
        a[1] += b[1];
        a[2] += b[2];
        blocks.remove(blocks.size() - 1);
      }
    }
    double[] knots = new double[blocks.size()];
    double[] values = new double[blocks.size()];
    for (int i = 0; i < knots.length; i++) {
      double[] b = blocks.get(i);
      knots[i] = b[0] / b[2];
      values[i] = b[1] / b[2];
    }
    return new CalibrationMap(knots, values);
  }

  /** The probability that a prediction with this confidence is right. */
  public double apply(double confidence) {
    if (confidence <= knots[0]) {
      return values[0];
    }
    int last = knots.length - 1;
    if (confidence >= knots[last]) {
      return values[last];
    }
    int j = Arrays.binarySearch(knots, confidence);
    if (j >= 0) {
      return values[j];
    }
    int hi = -j - 1;
    int lo = hi - 1;
    double t = (confidence - knots[lo]) / (knots[hi] - knots[lo]);
    return values[lo] + t * (values[hi] - values[lo]);
  }

  @Override
  public double[] knots() {
    return knots.clone();
  }

  @Override
  public double[] values() {
    return values.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CalibrationMap m && Arrays.equals(knots, m.knots) && Arrays.equals(values, m.values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(knots) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "CalibrationMap[" + knots.length + " knots]";
  }
}
