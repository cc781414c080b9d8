package dev.osprey.trainer.loop;

import dev.osprey.core.event.StrategyChoice;
import dev.osprey.core.event.Strategy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class StrategyChooserTest {
  private final StrategyChooser auto = new StrategyChooser(StrategyConfig.defaults());

  @Test
  void moderateDriftFineTunes() {
    StrategyChoice c = auto.choose(0.985, 0.92, 0, 5_000);
    assertEquals(Strategy.FINE_TUNE, c.strategy());
    assertEquals("fine-tune: moderate drift, held-out accuracy gap 0.0650 < 0.1000", c.reason());
    assertEquals(0.065, c.figures().get("strategy.accuracyGap"), 1e-12);
    assertEquals(5_000.0, c.figures().get("strategy.recentTrainLabels"));
  }

  @Test
  void aLargeGapReDistills() {
    StrategyChoice c = auto.choose(0.985, 0.70, 0, 5_000);
    assertEquals(Strategy.RE_DISTILL, c.strategy());
    assertEquals("re-distill: large drift, held-out accuracy 0.7000 is 0.2850 below the reference 0.9850 (>= 0.1000)",
        c.reason());
    // exactly at the threshold counts as large
    assertEquals(Strategy.RE_DISTILL, auto.choose(0.75, 0.5, 0, 5_000).strategy());
  }

  @Test
  void repeatedFineTunesReDistillEvenWithoutDrift() {
    assertEquals(Strategy.FINE_TUNE, auto.choose(0.985, 0.98, 2, 5_000).strategy());
    StrategyChoice c = auto.choose(0.985, 0.98, 3, 5_000);
    assertEquals(Strategy.RE_DISTILL, c.strategy());
    assertEquals("re-distill: 3 fine-tunes in a row since the last distillation (limit 3)", c.reason());
  }

  @Test
  void tooFewLabelsAlwaysFineTune() {
    StrategyChoice c = auto.choose(0.985, 0.50, 5, 1_999);
    assertEquals(Strategy.FINE_TUNE, c.strategy());
    assertEquals("fine-tune: 1999 recent training labels are too few to re-distill (< 2000)", c.reason());
  }

  @Test
  void noHeldOutAccuracyCountsAsNoGapAndFixedModesAreObeyed() {
    StrategyChoice c = auto.choose(0.985, Double.NaN, 0, 5_000);
    assertEquals(Strategy.FINE_TUNE, c.strategy());
    assertEquals(0.0, c.figures().get("strategy.accuracyGap"));
    assertEquals(null, c.figures().get("strategy.championHeldOutAccuracy"));
    StrategyChooser fixed = new StrategyChooser(new StrategyConfig(StrategyConfig.Mode.RE_DISTILL, 0.1, 3, 2_000));
    assertEquals("re-distill (configured)", fixed.choose(0.985, 0.98, 0, 10).reason());
    StrategyChooser ft = new StrategyChooser(new StrategyConfig(StrategyConfig.Mode.FINE_TUNE, 0.1, 3, 2_000));
    assertEquals(Strategy.FINE_TUNE, ft.choose(0.985, 0.2, 9, 50_000).strategy());
  }

  @Test
  void fineTunesAreCountedFromTheEndOfThePromotionHistory() {
    assertEquals(0, StrategyChooser.fineTunesSinceDistill(List.of()));
    assertEquals(2, StrategyChooser.fineTunesSinceDistill(
        List.of(Strategy.FINE_TUNE, Strategy.RE_DISTILL, Strategy.FINE_TUNE, Strategy.FINE_TUNE)));
    assertEquals(0, StrategyChooser.fineTunesSinceDistill(List.of(Strategy.FINE_TUNE, Strategy.RE_DISTILL)));
  }

  @Test
  void badConfigNamesTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new StrategyConfig(StrategyConfig.Mode.AUTO, 0, 3, 2_000));
    assertEquals("largeDriftGap must be in (0, 1], got 0.0", e.getMessage());
  }
}
