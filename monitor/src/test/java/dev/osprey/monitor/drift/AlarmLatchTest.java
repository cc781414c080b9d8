package dev.osprey.monitor.drift;

import static dev.osprey.monitor.drift.AlarmLatch.Transition.CLEARED;
import static dev.osprey.monitor.drift.AlarmLatch.Transition.NONE;
import static dev.osprey.monitor.drift.AlarmLatch.Transition.RAISED;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AlarmLatchTest {

  @Test
  void raisesOnceAndClearsAfterTheQuietRun() {
    AlarmLatch latch = new AlarmLatch(1.0, 3);
    List<AlarmLatch.Transition> seen = new ArrayList<>();
    // equal to the threshold is not above it; a dip of 2 quiet steps does not clear
    for (double v : new double[] {0.5, 1.0, 1.5, 2.0, 0.9, 0.8, 1.2, 0.1, 0.2, 0.3, 0.4, 1.1}) {
      seen.add(latch.update(v));
    }
    assertEquals(List.of(NONE, NONE, RAISED, NONE, NONE, NONE, NONE, NONE, NONE, CLEARED, NONE, RAISED), seen);
  }

  @Test
  void calibrationCountsTheLatchesAlarms() {
    float[][] paths = {{0, 2, 0, 0, 2, 0, 0, 0, 0, 2}, {3, 3, 3, 0, 0}};
    assertEquals(3, ThresholdCalibration.alarms(paths, 1.0, 3));
    assertEquals(4, ThresholdCalibration.alarms(paths, 1.0, 2));
    // 15 samples at ERT 7.5 allow 2 alarms; below 2 there are 3, from 2 to 3 only path 2's one:
    // the smallest threshold allowed is 2
    ThresholdCalibration c = ThresholdCalibration.fromPaths(paths, 7.5, 3);
    assertEquals(1, c.alarms());
    assertEquals(2.0, c.threshold(), 1e-9);
    assertEquals(15.0, c.measuredErt(), 1e-12);
    assertEquals(3.0 / 15, c.exceedance(), 1e-12);
  }
}
