package dev.osprey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CalibrationTest {

  @Test
  void perfectlyCalibratedInputHasZeroEce() {
    // 10 predictions at confidence 0.8 of which 8 are right, 5 at 0.4 of which 2 are right.
    double[] conf = new double[15];
    boolean[] correct = new boolean[15];
    for (int i = 0; i < 10; i++) {
      conf[i] = 0.8;
      correct[i] = i < 8;
    }
    for (int i = 10; i < 15; i++) {
      conf[i] = 0.4;
      correct[i] = i < 12;
    }
    assertEquals(0.0, Calibration.ece(conf, correct, 15), 1e-12);
  }

  @Test
  void knownCaseMatchesClosedForm() {
    // Bin A: 4 at 0.95 with 2 right (gap 0.45); bin B: 6 at 0.5 with 6 right (gap 0.5).
    // ECE = 4/10 * 0.45 + 6/10 * 0.5 = 0.48
    double[] conf = {0.95, 0.95, 0.95, 0.95, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    boolean[] correct = {true, true, false, false, true, true, true, true, true, true};
    assertEquals(0.48, Calibration.ece(conf, correct, 15), 1e-12);
    Calibration.Bins bins = Calibration.bins(conf, correct, 15);
    assertEquals(4, bins.count()[14]);
    assertEquals(6, bins.count()[7]);
  }

  @Test
  void confidenceOneFallsInLastBin() {
    assertEquals(0.0, Calibration.ece(new double[] {1.0}, new boolean[] {true}, 15), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> Calibration.ece(new double[] {1.0}, new boolean[0], 15));
  }
}
