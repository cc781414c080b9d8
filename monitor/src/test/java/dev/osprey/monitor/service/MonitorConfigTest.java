package dev.osprey.monitor.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.config.ConfigSource;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MonitorConfigTest {
  private static Properties kafka() {
    Properties p = new Properties();
    p.put("bootstrap.servers", "127.0.0.1:9092");
    return p;
  }

  @Test
  void defaultsAndKeys() {
    MonitorConfig d = MonitorConfig.from(ConfigSource.of(Map.of()), kafka());
    assertEquals("osprey-monitor", d.applicationId());
    assertEquals(10_000, d.settings().drift().ertSamples());
    assertEquals(200, d.settings().drift().windowSize());
    assertTrue(d.settings().inputSummaries(), "the input-summary join is on by default");
    assertEquals(MonitorSettings.DEFAULT_SUMMARY_BUFFER, d.settings().summaryBuffer());
    assertFalse(MonitorConfig.from(ConfigSource.of(Map.of(MonitorConfig.KEY_SUMMARY_BUFFER, "0")), kafka())
        .settings().inputSummaries(), "and off with a buffer of 0");
    MonitorConfig c = MonitorConfig.from(ConfigSource.of(Map.of(
        MonitorConfig.KEY_APPLICATION_ID, "mon-2",
        MonitorConfig.KEY_ERT, "5000",
        MonitorConfig.KEY_WINDOW, "100",
        MonitorConfig.KEY_DISABLED, "embedding-mmd, label-shift-chi2",
        MonitorConfig.KEY_TIME_WINDOW, "PT5M",
        MonitorConfig.KEY_SUMMARY_BUFFER, "5000",
        MonitorConfig.KEY_COMMIT_INTERVAL, "PT1S")), kafka());
    assertEquals("mon-2", c.applicationId());
    assertEquals(5_000, c.settings().drift().ertSamples());
    assertEquals(100, c.settings().drift().windowSize());
    assertEquals(100, c.settings().drift().clearAfter());
    assertEquals(Set.of("embedding-mmd", "label-shift-chi2"), c.settings().drift().disabled());
    assertEquals(300_000, c.settings().quality().timeWindowMillis());
    assertTrue(c.settings().inputSummaries());
    assertEquals(Duration.ofSeconds(1), c.commitInterval());
  }

  @Test
  void badValuesNameTheirField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MonitorConfig.from(ConfigSource.of(Map.of(MonitorConfig.KEY_ERT, "often")), kafka()));
    assertTrue(e.getMessage().contains("monitor.drift.ert"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> MonitorConfig.from(ConfigSource.of(Map.of(MonitorConfig.KEY_APPLICATION_ID, "a b")), kafka()));
    assertTrue(e.getMessage().contains("applicationId"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> MonitorConfig.from(ConfigSource.of(Map.of()), new Properties()));
    assertTrue(e.getMessage().contains("bootstrap.servers"), e.getMessage());
  }

  @Test
  void windowsWhoseStateWouldPassTheRecordLimitFailAtStart() {
    // defaults: 4 versions x (1,000 outcomes, 121 buckets, 1,000 CBPE predictions) + a drift window of 200
    MonitorSettings d = MonitorConfig.from(ConfigSource.of(Map.of()), kafka()).settings();
    assertEquals(4 * (1000 * 32 + 121 * 320 + 1000 * 10) + 200 * 2000, d.estimatedStateBytes());
    assertEquals(722_880, d.estimatedStateBytes());
    // the time window does not count: its state is 121 buckets whatever the traffic
    assertEquals(d.estimatedStateBytes(), MonitorConfig.from(ConfigSource.of(Map.of(MonitorConfig.KEY_TIME_WINDOW, "P1D")),
        kafka()).settings().estimatedStateBytes());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MonitorConfig.from(ConfigSource.of(Map.of(MonitorConfig.KEY_COUNT_WINDOW, "10000")), kafka()));
    assertTrue(e.getMessage().contains("countWindow (10000)"), e.getMessage());
  }
}
