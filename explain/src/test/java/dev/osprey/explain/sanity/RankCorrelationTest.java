package dev.osprey.explain.sanity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RankCorrelationTest {
  @Test
  void monotoneIsOneReversedIsMinusOneConstantIsZero() {
    assertEquals(1.0, RankCorrelation.spearman(new float[] {1, 2, 3, 4}, new float[] {10, 20, 30, 400}), 1e-12);
    assertEquals(-1.0, RankCorrelation.spearman(new float[] {1, 2, 3, 4}, new float[] {4, 3, 2, 1}), 1e-12);
    assertEquals(0.0, RankCorrelation.spearman(new float[] {1, 2, 3}, new float[] {5, 5, 5}), 0);
    assertEquals(1.0, RankCorrelation.spearmanOfAbsolute(new float[] {-3, 1, 2}, new float[] {3, 1, 2}), 1e-12);
  }

  @Test
  void tiesGetAverageRanks() {
    assertArrayEquals(new double[] {1.5, 1.5, 3, 4}, RankCorrelation.ranks(new float[] {0, 0, 1, 2}), 0);
    // textbook value: x = (1, 2, 2, 3), y = (1, 3, 2, 4): ranks (1, 2.5, 2.5, 4) vs (1, 3, 2, 4) -> 0.9487
    assertEquals(0.9486833, RankCorrelation.spearman(new float[] {1, 2, 2, 3}, new float[] {1, 3, 2, 4}), 1e-6);
  }

  @Test
  void deletionAreaIsTheTrapezoidRule() {
    assertEquals(0.5, DeletionCurve.area(new double[] {0, 0.5, 1}, new double[] {1, 0.5, 0}), 1e-12);
  }
}
