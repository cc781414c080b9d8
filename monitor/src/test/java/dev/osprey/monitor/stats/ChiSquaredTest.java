package dev.osprey.monitor.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ChiSquaredTest {

  @Test
  void pValuesAtTabulatedCriticalValues() {
    // chi-squared tables: 3.841 (df 1) and 16.919 (df 9) at 5 %, 23.209 (df 10) at 1 %
    assertEquals(0.05, ChiSquared.pValue(3.841, 1), 1e-4);
    assertEquals(0.05, ChiSquared.pValue(16.919, 9), 1e-5);
    assertEquals(0.01, ChiSquared.pValue(23.209, 10), 1e-5);
    assertEquals(0.9188914116546758, ChiSquared.pValue(0.5, 3), 1e-10);
    assertEquals(5.4497019829205215e-17, ChiSquared.pValue(100, 10), 1e-20);
    assertEquals(1.0, ChiSquared.pValue(0, 4));
  }

  @Test
  void statisticMatchesScipyChisquare() {
    long[] observed = {30, 14, 34, 45, 57, 20};
    double[] expected = {0.1, 0.1, 0.15, 0.2, 0.3, 0.15};
    double x = ChiSquared.statistic(observed, expected);
    assertEquals(11.441666666666666, x, 1e-10);
    assertEquals(0.04329313031580497, ChiSquared.pValue(x, 5), 1e-9);
  }

  @Test
  void rejectsObservationsOfAnImpossibleClass() {
    assertThrows(IllegalArgumentException.class, () -> ChiSquared.statistic(new long[] {1, 1}, new double[] {1, 0}));
    assertThrows(IllegalArgumentException.class, () -> ChiSquared.statistic(new long[] {1}, new double[] {0.5, 0.5}));
  }

  @Test
  void lnGammaMatchesKnownValues() {
    assertEquals(1.0957979948180756, GammaFunction.lnGamma(0.3), 1e-12);
    assertEquals(13.940625219403763, GammaFunction.lnGamma(10.5), 1e-11);
    assertEquals(359.1342053695754, GammaFunction.lnGamma(100), 1e-9);
    assertEquals(Math.log(24), GammaFunction.lnGamma(5), 1e-12);
  }

  @Test
  void psiIsZeroForEqualDistributionsAndGrowsWithShift() {
    double[] p = {0.25, 0.25, 0.5};
    assertEquals(0.0, PopulationStabilityIndex.of(new long[] {25, 25, 50}, p, 1e-4), 1e-12);
    // (0.5-0.25) ln 2 + (0.25-0.25) * 0 + (0.25-0.5) ln 0.5 = 0.5 ln 2
    assertEquals(0.5 * Math.log(2), PopulationStabilityIndex.of(new long[] {50, 25, 25}, p, 1e-4), 1e-12);
  }
}
