package dev.osprey.monitor.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.monitor.drift.CalibratedDetectors;
import dev.osprey.monitor.drift.DriftConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The quick version of the drift benchmark ({@code DriftBenchmark}), on the fixture: a student
 * model, a held-out reference, {@code rotate:30} and {@code noise:0.3} from sample 1,500 of
 * replays of other held-out images, 3 seeds, ERT 2,000. The combined detector must flag each within the
 * acceptance delays (median <= 200, every seed <= 1,000).
 */
class DriftDelayTest {
  private static final int ONSET = 1500;
  private static final int HORIZON = 1000;

  @Test
  void rotationAndNoiseAreFlaggedWithinTheAcceptanceDelays() throws Exception {
    DriftReplay replay = FixtureReplay.get();
    CalibratedDetectors detectors = replay.calibrate(DriftConfig.defaults().withErt(2000).withCalibration(20, 5000), n -> {});
    assertEquals(5, detectors.tests().size());
    for (String drift : List.of("rotate:30", "noise:0.3")) {
      List<Integer> combined = new ArrayList<>();
      for (long seed = 1; seed <= 3; seed++) {
        DriftReplay.Delays d = replay.delays(detectors, seed, replay.driftStream(seed, drift, ONSET, ONSET + HORIZON), ONSET);
        System.err.println(drift + " seed " + seed + ": " + d);
        combined.add(d.delays().get("combined"));
      }
      List<Integer> sorted = combined.stream().sorted().toList();
      assertTrue(sorted.get(0) >= 0 && sorted.get(sorted.size() - 1) <= HORIZON, drift + " undetected in a seed: " + combined);
      assertTrue(sorted.get(1) <= 200, drift + " median delay over 200: " + combined);
    }
  }
}
