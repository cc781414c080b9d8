package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HeatmapTest {
  @Test
  void rendersOnFirstUseOnlyAndOnce() {
    AtomicInteger renders = new AtomicInteger();
    Heatmap h = new Heatmap(() -> new byte[] {(byte) renders.incrementAndGet()});
    assertEquals(0, renders.get());
    assertFalse(h.rendered());
    assertArrayEquals(new byte[] {1}, h.get());
    assertArrayEquals(new byte[] {1}, h.get());
    assertEquals(1, renders.get());
    assertTrue(h.rendered());
  }

  @Test
  void aFailedRenderIsNullAndNotRetried() {
    AtomicInteger renders = new AtomicInteger();
    Heatmap h = new Heatmap(() -> {
      renders.incrementAndGet();
      return null;
    });
    assertNull(h.get());
    assertNull(h.get());
    assertEquals(1, renders.get());
    assertNull(Heatmap.of(null).get());
  }
}
