package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.config.ConfigSource;
import dev.osprey.explain.sampling.CpuBudget;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CPU budget's keys. */
class ExplainConfigTest {

  private static ExplainConfig read(Map<String, String> keys) {
    Map<String, String> all = new java.util.HashMap<>(keys);
    all.put(ExplainConfig.KEY_MODEL, "digits");
    return ExplainConfig.from(ConfigSource.of(all));
  }

  @Test
  void theBudgetIsOnByDefaultAtATwentiethOfACoreOverTwoSeconds() {
    CpuBudget.Config b = read(Map.of()).budget();
    assertEquals(0.05, b.cores());
    assertEquals(Duration.ofSeconds(2), b.window());
    assertTrue(b.enabled());
  }

  @Test
  void theBudgetIsReadAndCanBeSwitchedOff() {
    CpuBudget.Config b = read(Map.of("explain.budget.cpu", "0.25", "explain.budget.window", "PT5S")).budget();
    assertEquals(0.25, b.cores());
    assertEquals(Duration.ofSeconds(5), b.window());
    assertFalse(read(Map.of("explain.budget.cpu", "off")).budget().enabled());
    assertFalse(read(Map.of("explain.budget.cpu", "0")).budget().enabled());
  }

  @Test
  void aBadBudgetNamesTheKeyAndTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> read(Map.of("explain.budget.cpu", "-1")));
    assertTrue(e.getMessage().contains("explain.budget.cpu") && e.getMessage().contains("-1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> read(Map.of("explain.budget.cpu", "lots")));
    assertTrue(e.getMessage().contains("explain.budget.cpu") && e.getMessage().contains("lots"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> read(Map.of("explain.budget.window", "PT0S")));
    assertTrue(e.getMessage().contains("window"), e.getMessage());
  }
}
