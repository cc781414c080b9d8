package dev.osprey.monitor.drift;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Sets a drift test's threshold so that, with no drift, alarms start on average once per
 * {@code ert} samples (the expected run time between false alarms), the way Alibi Detect's
 * online detectors are configured, by simulation instead of a per-window p-value.
 *
 * <p>Method: simulate {@code paths} independent no-drift streams with {@link DriftTest#simulate}
 * (each with its own bootstrap reference, so reference sampling error is part of the null), of
 * {@code pathLength} samples each, and record the statistic after every sample. For a threshold h,
 * count the alarms {@link AlarmLatch} would raise; the run time is the number of samples per alarm.
 * The threshold is the smallest h whose run time reaches {@code ert}, found by bisection (the count
 * only falls as h rises, up to a rare re-raise the clear rule permits).
 *
 * <p>Why one threshold, when Alibi Detect keeps one per time step: its windows start empty and
 * fill, so the statistic's distribution changes over the first 2W steps. Here the window starts
 * full of reference draws, so the statistic is stationary from the first sample and the
 * per-step false-alarm probability of an un-alarmed detector is ~1/ERT from step one. The
 * simulated paths start the same way, so the first steps after a reset are part of the
 * calibration.
 *
 * @param threshold the calibrated threshold
 * @param ertSamples the expected run time asked for
 * @param alarms alarms the simulation raised at the threshold
 * @param samples simulated samples
 * @param nullMedian median statistic under no drift (the onset estimate's baseline)
 * @param exceedance fraction of simulated samples above the threshold
 */
public record ThresholdCalibration(
    double threshold, double ertSamples, long alarms, long samples, double nullMedian, double exceedance) {
  private static final int BISECTION_STEPS = 60;
  private static final int MEDIAN_SAMPLE = 200_000;

  /** The run time the simulation measured at the threshold: samples per alarm. */
  public double measuredErt() {
    return alarms == 0 ? Double.POSITIVE_INFINITY : (double) samples / alarms;
  }

  /**
   * Simulates and calibrates.
   *
   * @param test the test to calibrate
   * @param ert target samples between false alarms (> 1)
   * @param clearAfter the clear rule of the live detector
   * @param paths number of simulated streams
   * @param pathLength samples per stream
   * @param seed simulation seed
   */
  public static ThresholdCalibration calibrate(
      DriftTest test, double ert, int clearAfter, int paths, int pathLength, long seed) {
    if (!(ert > 1)) {
      throw new IllegalArgumentException("ert must be > 1, got " + ert);
    }
    if (paths < 1 || pathLength < 1 || clearAfter < 1) {
      throw new IllegalArgumentException(
          "paths, pathLength and clearAfter must be >= 1, got " + paths + ", " + pathLength + ", " + clearAfter);
    }
    SplittableRandom root = new SplittableRandom(seed);
    float[][] stats = new float[paths][pathLength];
    for (int p = 0; p < paths; p++) {
      DriftTest.NullPath path = test.simulate(root.split());
      for (int t = 0; t < pathLength; t++) {
        stats[p][t] = (float) path.statistic().update(path.stream().get());
      }
    }
    return fromPaths(stats, ert, clearAfter);
  }

  /** Calibrates on statistics already simulated ({@code paths x samples}). */
  static ThresholdCalibration fromPaths(float[][] stats, double ert, int clearAfter) {
    long samples = 0;
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (float[] path : stats) {
      samples += path.length;
      for (float v : path) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    double allowed = samples / ert;
    // invariant: alarms(lo) > allowed (or lo is the minimum), alarms(hi) <= allowed
    lo = Math.nextDown(lo);
    for (int i = 0; i < BISECTION_STEPS && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
      double mid = (lo + hi) / 2;
      if (alarms(stats, mid, clearAfter) <= allowed) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    long alarms = alarms(stats, hi, clearAfter);
    long above = 0;
    for (float[] path : stats) {
      for (float v : path) {
        above += v > hi ? 1 : 0;
      }
    }
    return new ThresholdCalibration(hi, ert, alarms, samples, median(stats), (double) above / samples);
  }

  static long alarms(float[][] stats, double threshold, int clearAfter) {
    long n = 0;
    for (float[] path : stats) {
      AlarmLatch latch = new AlarmLatch(threshold, clearAfter);
      for (float v : path) {
        if (latch.update(v) == AlarmLatch.Transition.RAISED) {
          n++;
        }
      }
    }
    return n;
  }

  private static double median(float[][] stats) {
    long total = 0;
    for (float[] p : stats) {
      total += p.length;
    }
    int stride = (int) Math.max(1, total / MEDIAN_SAMPLE);
    float[] sample = new float[(int) (total / stride) + 1];
    int k = 0;
    long i = 0;
    for (float[] p : stats) {
      for (float v : p) {
        if (i++ % stride == 0 && k < sample.length) {
          sample[k++] = v;
        }
      }
    }
    float[] s = Arrays.copyOf(sample, k);
    Arrays.sort(s);
    return s[k / 2];
  }
}
