package dev.osprey.core.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DjlOfflineGuardTest {
  @Test
  void buildConfiguresTheGuardForEveryTestJvm() {
    // Surefire must set these before any test class (and so any DJL class) loads.
    assertEquals("true", System.getProperty("ai.djl.offline"), "surefire systemPropertyVariables");
    assertEquals("true", System.getenv("OPT_OUT_TRACKING"), "surefire environmentVariables");
    assertTrue(DjlOfflineGuard.isActive());
  }

  @Test
  void requireActiveFailsWithoutGuard() {
    String before = System.getProperty(DjlOfflineGuard.OFFLINE_PROPERTY);
    try {
      System.clearProperty(DjlOfflineGuard.OFFLINE_PROPERTY);
      IllegalStateException e = assertThrows(IllegalStateException.class, DjlOfflineGuard::requireActive);
      assertTrue(e.getMessage().contains("DjlOfflineGuard.install()"));
      DjlOfflineGuard.install();
      DjlOfflineGuard.requireActive();
    } finally {
      System.setProperty(DjlOfflineGuard.OFFLINE_PROPERTY, before);
    }
  }
}
