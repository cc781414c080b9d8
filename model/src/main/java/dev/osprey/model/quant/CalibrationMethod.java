package dev.osprey.model.quant;

import java.util.Locale;

/** How an activation's clipping threshold is chosen from calibration data. */
public enum CalibrationMethod {
  /** Threshold = the largest |x| seen: no clipping, coarsest resolution. */
  MINMAX,
  /** Threshold = the given percentile of |x| (e.g. 99.99): clips rare outliers. */
  PERCENTILE,
  /**
   * Threshold minimising the KL divergence between the |x| histogram and its 128-level version
   * (TensorRT's entropy calibrator), floored at the {@link #PERCENTILE} threshold. The floor is
   * there because KL collapses onto spikes: MNIST's constant background puts ~80% of the input
   * (and of early conv outputs) on one value, and pure KL then picks a threshold just above that
   * value, clipping every stroke (measured: 12.6% accuracy). With the floor, entropy can only
   * widen the percentile range where KL finds the tail worth keeping.
   */
  ENTROPY;

  /**
   * Parses {@code minmax}, {@code percentile} or {@code entropy} (case-insensitive).
   *
   * @throws IllegalArgumentException naming the value
   */
  public static CalibrationMethod parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("calibration method '" + s + "' is not one of minmax, percentile, entropy");
    }
  }
}
