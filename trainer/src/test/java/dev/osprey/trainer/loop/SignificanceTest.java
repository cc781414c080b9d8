package dev.osprey.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SignificanceTest {

  @Test
  void mcnemarMatchesTheExactBinomialByHand() {
    McNemarTest t = new McNemarTest(10, 2);
    // n = 12: P(X <= 2) = (1 + 12 + 66) / 4096
    assertEquals(2 * 79 / 4096.0, t.pTwoSided(), 1e-12);
    assertEquals(0.0386, t.pTwoSided(), 5e-5);
    assertEquals(79 / 4096.0, t.pCandidateWorse(), 1e-12);
    assertEquals(1 - 13 / 4096.0, t.pCandidateBetter(), 1e-12);
    McNemarTest better = new McNemarTest(0, 5);
    assertEquals(1 / 16.0, better.pTwoSided(), 1e-12);
    assertEquals(1 / 32.0, better.pCandidateBetter(), 1e-12);
    assertEquals(1.0, better.pCandidateWorse(), 1e-12);
    assertEquals(1.0, new McNemarTest(7, 7).pTwoSided());
    assertEquals(1.0, new McNemarTest(0, 0).pTwoSided());
    assertEquals(1.0, new McNemarTest(0, 0).pCandidateBetter());
    // R: binom.test(3, 20, 0.5)$p.value = 0.002576828
    assertEquals(0.002576828, new McNemarTest(17, 3).pTwoSided(), 1e-9);
  }

  @Test
  void mcnemarCountsOnlyDiscordantPairs() {
    int[] labels = {0, 1, 2, 3, 4, 5};
    int[] champion = {0, 1, 9, 9, 4, 9};
    int[] candidate = {0, 9, 2, 3, 9, 9};
    assertEquals(new McNemarTest(2, 2), McNemarTest.of(labels, champion, candidate));
  }

  @Test
  void binomialTailsAreExactForSmallAndStableForLargeN() {
    // P(X >= 8 | 10, 0.3) = 0.0015903864 (sum of three terms by hand)
    double expected = 45 * Math.pow(0.3, 8) * Math.pow(0.7, 2) + 10 * Math.pow(0.3, 9) * 0.7 + Math.pow(0.3, 10);
    assertEquals(expected, Significance.binomialUpperTail(10, 8, 0.3), 1e-15);
    assertEquals(1.0, Significance.binomialUpperTail(10, 0, 0.3));
    assertEquals(0.0, Significance.binomialUpperTail(10, 11, 0.3));
    assertEquals(1.0, Significance.binomialLowerTail(10, 10, 0.3), 1e-12);
    // n = 20,000 at its mean: about one half on each side; far tail underflows to 0, not NaN
    double upper = Significance.binomialUpperTail(20_000, 10_001, 0.5);
    double lower = Significance.binomialLowerTail(20_000, 10_000, 0.5);
    assertEquals(1.0, upper + lower, 1e-9);
    assertEquals(0.5 - 0.5 * 0.0056418, upper, 1e-5);
    assertEquals(0.0, Significance.binomialUpperTail(20_000, 19_000, 0.5));
    assertEquals(0.0, Significance.binomialUpperTail(5, 1, 0.0));
    assertEquals(1.0, Significance.binomialUpperTail(5, 5, 1.0));
    assertThrows(IllegalArgumentException.class, () -> Significance.binomialUpperTail(5, 1, 1.5));
  }

  @Test
  void stirlingJoinsTheTableSmoothly() {
    double exact = 0;
    for (int i = 2; i <= 5000; i++) {
      exact += Math.log(i);
    }
    assertEquals(exact, Significance.logFactorial(5000), 1e-9);
    assertEquals(Significance.logFactorial(1023) + Math.log(1024), Significance.logFactorial(1024), 1e-9);
  }

  @Test
  void normalCdfAtKnownQuantiles() {
    assertEquals(0.5, Significance.normalCdf(0), 1e-7);
    assertEquals(0.975, Significance.normalCdf(1.959963985), 1e-7);
    assertEquals(0.05, Significance.normalCdf(-1.644853627), 1e-7);
    assertEquals(0.158655254, Significance.normalCdf(-1), 1e-7);
    assertEquals(1.0, Significance.normalCdf(40), 1e-12);
  }
}
