package dev.osprey.monitor.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.osprey.monitor.drift.Observation;
import dev.osprey.monitor.quality.EstimatedAccuracy;
import org.junit.jupiter.api.Test;

/**
 * CBPE on undrifted data: calibrated on the held-out reference, the estimate of the stream's
 * accuracy is within a few points of the realized accuracy, overall and per window of 250.
 */
class EstimatedAccuracyFixtureTest {

  @Test
  void estimateMatchesRealizedAccuracyWithoutDrift() throws Exception {
    DriftReplay replay = FixtureReplay.get();
    int length = replay.stream().size();
    Observation[] obs = replay.driftStream(1, "none", length, length);
    int[] labels = replay.labels(1, length);
    EstimatedAccuracy estimate = new EstimatedAccuracy(replay.calibration(), 250);
    double estimatedSum = 0;
    int right = 0;
    int windowRight = 0;
    for (int i = 0; i < length; i++) {
      estimate.onPrediction(obs[i].confidence());
      estimatedSum += replay.calibration().apply(obs[i].confidence());
      boolean ok = obs[i].predicted() == labels[i];
      right += ok ? 1 : 0;
      windowRight += ok ? 1 : 0;
      if ((i + 1) % 250 == 0) {
        // a window's realized accuracy has a standard deviation of ~1.5 points at this size
        assertEquals(windowRight / 250.0, estimate.value(), 0.05, "window ending at " + i);
        windowRight = 0;
      }
    }
    double realized = (double) right / length;
    System.err.printf("realized accuracy %.4f, estimated %.4f%n", realized, estimatedSum / length);
    assertEquals(realized, estimatedSum / length, 0.03);
  }
}
