package dev.osprey.monitor.drift;

import java.util.Set;

/**
 * How the drift detectors run and are calibrated.
 *
 * @param ertSamples expected run time between false alarms of the whole monitor under no drift, in
 *     samples; each of the k active detectors is calibrated to {@code k * ertSamples}, so that
 *     together they raise about one false alarm per {@code ertSamples}
 * @param windowSize samples in each detector's sliding window
 * @param clearAfter consecutive samples at or below the threshold that clear an alarm
 * @param calibrationAlarms how many false alarms the calibration simulation should see at the
 *     target rate (its length is {@code calibrationAlarms * k * ertSamples} samples); the run time
 *     is then estimated to about {@code 1/sqrt(calibrationAlarms)}
 * @param calibrationPathLength samples per simulated stream
 * @param randomFeatures random Fourier features of the embedding MMD
 * @param seed seed of the prefill draws, random features and simulations
 * @param disabled names of detectors not to run (e.g. {@code embedding-mmd})
 */
public record DriftConfig(
    double ertSamples,
    int windowSize,
    int clearAfter,
    int calibrationAlarms,
    int calibrationPathLength,
    int randomFeatures,
    long seed,
    Set<String> disabled) {

  /** @throws IllegalArgumentException naming the field and the value */
  public DriftConfig {
    if (!(ertSamples > 1) || Double.isInfinite(ertSamples)) {
      throw new IllegalArgumentException("ertSamples must be finite and > 1, got " + ertSamples);
    }
    if (windowSize < 2) {
      throw new IllegalArgumentException("windowSize must be >= 2, got " + windowSize);
    }
    if (clearAfter < 1) {
      throw new IllegalArgumentException("clearAfter must be >= 1, got " + clearAfter);
    }
    if (calibrationAlarms < 1) {
      throw new IllegalArgumentException("calibrationAlarms must be >= 1, got " + calibrationAlarms);
    }
    if (calibrationPathLength < windowSize) {
      throw new IllegalArgumentException(
          "calibrationPathLength must be >= windowSize (" + windowSize + "), got " + calibrationPathLength);
    }
    if (randomFeatures < 1) {
      throw new IllegalArgumentException("randomFeatures must be >= 1, got " + randomFeatures);
    }
    disabled = disabled == null ? Set.of() : Set.copyOf(disabled);
  }

  /** ERT 10,000 samples, windows of 200, 40 simulated alarms per detector. */
  public static DriftConfig defaults() {
    return new DriftConfig(10_000, 200, 200, 40, 5_000, 128, 1, Set.of());
  }

  public DriftConfig withErt(double ert) {
    return new DriftConfig(ert, windowSize, clearAfter, calibrationAlarms, calibrationPathLength, randomFeatures, seed, disabled);
  }

  /** Same config with window (and clear rule) {@code w}. */
  public DriftConfig withWindow(int w) {
    return new DriftConfig(ertSamples, w, w, calibrationAlarms, Math.max(w, calibrationPathLength), randomFeatures, seed, disabled);
  }

  public DriftConfig withCalibration(int alarms, int pathLength) {
    return new DriftConfig(ertSamples, windowSize, clearAfter, alarms, pathLength, randomFeatures, seed, disabled);
  }

  public DriftConfig withSeed(long s) {
    return new DriftConfig(ertSamples, windowSize, clearAfter, calibrationAlarms, calibrationPathLength, randomFeatures, s, disabled);
  }

  public DriftConfig withDisabled(Set<String> names) {
    return new DriftConfig(ertSamples, windowSize, clearAfter, calibrationAlarms, calibrationPathLength, randomFeatures, seed, names);
  }
}
