package dev.osprey.monitor.service;

import java.util.List;
import java.util.Map;

/**
 * An immutable copy of the monitor's figures, taken on the processing thread after each
 * transaction and read by the metrics (gauges) from any thread.
 */
public record MonitorView(List<Model> models) {
  public static final MonitorView EMPTY = new MonitorView(List.of());

  /**
   * One model.
   *
   * @param driftVersion the version the detectors run against (0: none yet)
   * @param driftSamples predictions the detectors saw since their last reset
   * @param note why a detector does not run, or empty
   * @param alarms alarms raised per detector since the monitor first saw the model
   */
  public record Model(String model, int driftVersion, long driftSamples, String note, List<Detector> detectors, Map<String, Long> alarms,
      List<Version> versions) {}

  /** One running detector. */
  public record Detector(String name, double statistic, double threshold, boolean alarm) {}

  /**
   * One version's quality.
   *
   * @param lastN the last N outcomes
   * @param lastTime predictions of the last T
   * @param total since the version started
   * @param estimatedAccuracy CBPE over the last predictions (NaN before the first)
   * @param predictedClasses predictions per predicted class, since the version started
   * @param correct outcomes predicted right
   * @param incorrect outcomes predicted wrong
   */
  public record Version(int version, dev.osprey.monitor.quality.QualitySnapshot lastN,
      dev.osprey.monitor.quality.QualitySnapshot lastTime, dev.osprey.monitor.quality.QualitySnapshot total,
      double estimatedAccuracy, long[] predictedClasses, long correct, long incorrect) {}
}
