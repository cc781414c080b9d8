package dev.osprey.monitor.service;

import dev.osprey.core.event.Prediction;
import dev.osprey.model.registry.CalibrationMap;
import dev.osprey.monitor.quality.EstimatedAccuracy;
import dev.osprey.monitor.quality.LabeledOutcome;
import dev.osprey.monitor.quality.OnlineQuality;

/** One model version's realized quality, estimated accuracy and prediction counts. Not thread-safe. */
final class VersionQuality {
  private final OnlineQuality quality;
  private final EstimatedAccuracy estimate;
  private final long[] predictedClasses;
  private long correct;
  private long incorrect;

  VersionQuality(int classes, MonitorSettings settings, CalibrationMap cbpe) {
    this(new OnlineQuality(classes, settings.quality()), new EstimatedAccuracy(cbpe, settings.estimateWindow()),
        new long[classes]);
  }

  private VersionQuality(OnlineQuality quality, EstimatedAccuracy estimate, long[] predictedClasses) {
    this.quality = quality;
    this.estimate = estimate;
    this.predictedClasses = predictedClasses;
  }

  void onPrediction(Prediction p) {
    quality.onPrediction(p.timestamp());
    estimate.onPrediction(Math.max(0f, Math.min(1f, p.confidence())));
    if (p.label() >= 0 && p.label() < predictedClasses.length) {
      predictedClasses[p.label()]++;
    }
  }

  /** Outcomes naming a class this version does not have are ignored (false). */
  boolean onOutcome(LabeledOutcome o) {
    if (o.actual() >= predictedClasses.length || o.predicted() >= predictedClasses.length) {
      return false;
    }
    quality.onOutcome(o);
    if (o.correct()) {
      correct++;
    } else {
      incorrect++;
    }
    return true;
  }

  MonitorView.Version view(int version) {
    return new MonitorView.Version(version, quality.lastOutcomes(), quality.lastTime(), quality.total(),
        estimate.value(), predictedClasses.clone(), correct, incorrect);
  }

  record State(OnlineQuality.State quality, EstimatedAccuracy.State estimate, long[] predictedClasses, long correct,
      long incorrect) {}

  State state() {
    return new State(quality.state(), estimate.state(), predictedClasses.clone(), correct, incorrect);
  }

  static VersionQuality restore(State s, MonitorSettings settings, CalibrationMap cbpe) {
    VersionQuality q = new VersionQuality(OnlineQuality.restore(settings.quality(), s.quality()),
        EstimatedAccuracy.restore(cbpe, settings.estimateWindow(), s.estimate()), s.predictedClasses().clone());
    q.correct = s.correct();
    q.incorrect = s.incorrect();
    return q;
  }
}
