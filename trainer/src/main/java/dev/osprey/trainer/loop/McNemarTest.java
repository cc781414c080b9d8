package dev.osprey.trainer.loop;

/**
 * Exact McNemar test of two classifiers on the same samples. Only the discordant pairs carry
 * information: {@code b} samples only the champion got right, {@code c} only the candidate. If
 * both were equally accurate, each discordant pair would fall either way with probability 1/2, so
 * under that null {@code c ~ Binomial(b + c, 1/2)}; the p-values are its exact tails.
 *
 * @param championOnly b: samples the champion classified correctly and the candidate did not
 * @param candidateOnly c: samples the candidate classified correctly and the champion did not
 */
public record McNemarTest(int championOnly, int candidateOnly) {

  /** @throws IllegalArgumentException if a count is negative */
  public McNemarTest {
    if (championOnly < 0 || candidateOnly < 0) {
      throw new IllegalArgumentException("discordant counts must be >= 0, got b=" + championOnly + ", c=" + candidateOnly);
    }
  }

  /** Counts the discordant pairs of two prediction vectors against the labels. */
  public static McNemarTest of(int[] labels, int[] champion, int[] candidate) {
    int b = 0;
    int c = 0;
    for (int i = 0; i < labels.length; i++) {
      boolean championRight = champion[i] == labels[i];
      boolean candidateRight = candidate[i] == labels[i];
      if (championRight && !candidateRight) {
        b++;
      } else if (candidateRight && !championRight) {
        c++;
      }
    }
    return new McNemarTest(b, c);
  }

  public int discordant() {
    return championOnly + candidateOnly;
  }

  /** Two-sided: {@code min(1, 2 P(X <= min(b, c)))}; 1 when there is no discordant pair. */
  public double pTwoSided() {
    return Math.min(1, 2 * Significance.binomialLowerTail(discordant(), Math.min(championOnly, candidateOnly), 0.5));
  }

  /** One-sided, alternative "the candidate is better": {@code P(X >= c)}. */
  public double pCandidateBetter() {
    return Significance.binomialUpperTail(discordant(), candidateOnly, 0.5);
  }

  /** One-sided, alternative "the candidate is worse": {@code P(X >= b)}. */
  public double pCandidateWorse() {
    return Significance.binomialUpperTail(discordant(), championOnly, 0.5);
  }
}
