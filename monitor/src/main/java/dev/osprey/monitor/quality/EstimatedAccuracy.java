package dev.osprey.monitor.quality;

import dev.osprey.model.registry.CalibrationMap;

/**
 * Accuracy estimated without labels, as NannyML's confidence-based performance estimation (CBPE)
 * does: if the calibrated confidence c(x) is the probability that the prediction for x is right,
 * the expected accuracy of a window is the mean of c(x) over it. It holds while the model stays
 * calibrated on the shifted data (covariate shift without concept shift); under other shifts it
 * is an early, optimistic signal, to be checked against realized accuracy as labels arrive.
 * Sliding window of the last N predictions. Not thread-safe.
 */
public final class EstimatedAccuracy {
  private final CalibrationMap calibration;
  private final double[] ring;
  private int size;
  private int head;
  private double sum;
  private long seen;

  /**
   * @param calibration confidence -> probability of being right, fit on the version's labeled
   *     reference data ({@link CalibrationMap#identity()} when there is none)
   * @param window N, predictions averaged
   */
  public EstimatedAccuracy(CalibrationMap calibration, int window) {
    if (window < 1) {
      throw new IllegalArgumentException("window must be >= 1, got " + window);
    }
    this.calibration = calibration;
    this.ring = new double[window];
  }

  /** Adds one prediction's top-class probability. */
  public void onPrediction(float confidence) {
    double p = calibration.apply(confidence);
    if (size == ring.length) {
      sum -= ring[head];
    } else {
      size++;
    }
    ring[head] = p;
    sum += p;
    head = (head + 1) % ring.length;
    // a fresh sum now and then keeps the running one from drifting by rounding
    if (++seen % (16L * ring.length) == 0) {
      sum = 0;
      for (int i = 0; i < size; i++) {
        sum += ring[i];
      }
    }
  }

  /** The estimated accuracy of the last N predictions (NaN before the first). */
  public double value() {
    return size == 0 ? Double.NaN : sum / size;
  }

  /** The window and running sum, exactly (a restart continues from them). */
  public record State(double[] ring, int size, int head, double sum, long seen) {}

  public State state() {
    return new State(ring.clone(), size, head, sum, seen);
  }

  /** @throws IllegalArgumentException if the state's window is not {@code window} long */
  public static EstimatedAccuracy restore(CalibrationMap calibration, int window, State s) {
    EstimatedAccuracy e = new EstimatedAccuracy(calibration, window);
    if (s.ring().length != window) {
      throw new IllegalArgumentException("estimate state has a window of " + s.ring().length + ", expected " + window);
    }
    System.arraycopy(s.ring(), 0, e.ring, 0, window);
    e.size = s.size();
    e.head = s.head();
    e.sum = s.sum();
    e.seen = s.seen();
    return e;
  }

  /** Predictions in the window. */
  public int size() {
    return size;
  }
}
