package dev.osprey.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.trainer.service.TrainerConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DemoLoopSettingsTest {

  @Test
  void theDemoRunsOnceAndTrainsEveryLayerWithHalfTheReplay() {
    TrainerConfig c = LoopScenario.defaults().trainerConfig("digits");
    assertEquals(Duration.ofMinutes(30), c.trigger().cooldown());
    assertEquals(0, c.recipe().frozenLayers());
    assertEquals(0.5, c.data().replayRatio());
    assertEquals(500, c.trigger().driftMinLabels());
    assertEquals(5, c.recipe().epochs());
    assertTrue(LoopScenario.defaults().describe().contains("one run per demo"), LoopScenario.defaults().describe());
  }

  @Test
  void aShorterCooldownReachesTheTrainerAndIsDescribed() {
    LoopScenario loop = new LoopScenario(300, 10_000, 5, "fine-tune", "fixture:train", "mnist:test", Duration.ofSeconds(10));
    assertEquals(Duration.ofSeconds(10), loop.trainerConfig("digits").trigger().cooldown());
    assertTrue(loop.describe().contains("cooldown 10 s between runs"), loop.describe());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LoopScenario(300, 10_000, 5, "fine-tune", "fixture:train", "mnist:test", Duration.ofSeconds(-1)));
    assertEquals("cooldown must be >= 0, got PT-1S", e.getMessage());
  }
}
