package dev.osprey.model.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReferenceProfileTest {

  @Test
  void priorAndHistogramMatchHandCounts() {
    List<float[]> softmax = List.of(
        new float[] {0.9f, 0.05f, 0.05f}, // class 0, conf 0.9  -> bin 3 of 4
        new float[] {0.2f, 0.7f, 0.1f}, // class 1, conf 0.7  -> bin 2
        new float[] {0.1f, 0.3f, 0.6f}, // class 2, conf 0.6  -> bin 2
        new float[] {0.4f, 0.35f, 0.25f}); // class 0, conf 0.4 -> bin 1
    ReferenceProfile p = ReferenceProfile.fromSoftmax(softmax, List.of(), 4, 10, 1L);
    assertArrayEquals(new double[] {0.5, 0.25, 0.25}, p.classPrior(), 1e-12);
    assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, p.confidence().edges(), 1e-12);
    assertArrayEquals(new long[] {0, 1, 2, 1}, p.confidence().counts());
    assertEquals(4, p.softmaxSample().size());
    assertEquals(0, p.embeddingSample().size());
  }

  @Test
  void sampleIsASeededSubsetInOriginalOrder() {
    List<float[]> softmax = new ArrayList<>();
    List<float[]> emb = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      softmax.add(new float[] {1f, 0f});
      emb.add(new float[] {i});
    }
    ReferenceProfile a = ReferenceProfile.fromSoftmax(softmax, emb, 10, 50, 3L);
    ReferenceProfile b = ReferenceProfile.fromSoftmax(softmax, emb, 10, 50, 3L);
    assertEquals(a, b);
    assertEquals(50, a.embeddingSample().size());
    assertEquals(1000, a.confidence().total());
    assertEquals(1000, a.confidence().counts()[9], "confidence 1.0 belongs to the last, closed bin");
    float prev = -1;
    for (float[] e : a.embeddingSample()) {
      assertEquals(true, e[0] > prev);
      prev = e[0];
    }
  }

  @Test
  void invalidProfilesAreRejected() {
    ConfidenceHistogram h = ConfidenceHistogram.ofUnitInterval(new double[] {0.5}, 2);
    IllegalArgumentException sum = assertThrows(IllegalArgumentException.class,
        () -> new ReferenceProfile(new double[] {0.5, 0.4}, h, List.of(), List.of()));
    assertEquals("classPrior must sum to 1, sums to 0.9", sum.getMessage());
    IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
        () -> new ReferenceProfile(new double[] {0.5, 0.5}, h, List.of(new float[] {1, 0, 0}), List.of()));
    assertEquals("softmaxSample row 0 has 3 values, expected 2", width.getMessage());
    IllegalArgumentException edges = assertThrows(IllegalArgumentException.class,
        () -> new ConfidenceHistogram(new double[] {0, 0}, new long[] {1}));
    assertEquals("edges must be strictly increasing, got [0.0, 0.0]", edges.getMessage());
  }
}
