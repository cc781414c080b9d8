package dev.osprey.monitor.drift;

import dev.osprey.monitor.stats.ChiSquared;
import dev.osprey.monitor.stats.PopulationStabilityIndex;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Label shift seen through the predictions: Pearson's chi-squared of the window's predicted-class
 * counts against the reference prior (the fraction of reference samples predicted as each class).
 * The details add the PSI and the asymptotic chi-squared p-value. A prior of 0 is floored at
 * half a reference sample so a class the reference never predicted does not divide by zero.
 */
public final class LabelShiftTest extends WindowedTest {
  private final double[] prior;
  private final long referenceCount;

  /**
   * @param prior the reference's predicted-class distribution
   * @param referenceCount how many reference samples it was computed from (the simulation draws
   *     bootstrap priors of this size)
   */
  public LabelShiftTest(double[] prior, long referenceCount, int window) {
    super("label-shift-chi2", window);
    if (prior.length < 2) {
      throw new IllegalArgumentException("prior needs >= 2 classes, got " + prior.length);
    }
    if (referenceCount < 1) {
      throw new IllegalArgumentException("referenceCount must be >= 1, got " + referenceCount);
    }
    this.prior = prior.clone();
    this.referenceCount = referenceCount;
  }

  @Override
  public boolean accepts(Observation o) {
    return o.predicted() >= 0 && o.predicted() < prior.length;
  }

  @Override
  public WindowStatistic start(SplittableRandom rnd) {
    return new Statistic(prior, Draws.cumulative(prior), rnd);
  }

  @Override
  public NullPath simulate(SplittableRandom rnd) {
    double[] cum = Draws.cumulative(prior);
    Statistic s = new Statistic(Draws.multinomialProportions(cum, referenceCount, rnd), cum, rnd);
    return new NullPath(s, () -> new Observation(null, null, Draws.category(cum, rnd), 0f, null, null));
  }

  private final class Statistic extends Valued {
    private final double[] expected;
    private final double[] reference;
    private final CategoryWindow classes;

    Statistic(double[] referencePrior, double[] cum, SplittableRandom rnd) {
      this.reference = referencePrior;
      this.expected = new double[referencePrior.length];
      double floor = 0.5 / referenceCount;
      for (int c = 0; c < expected.length; c++) {
        expected[c] = window * Math.max(floor, referencePrior[c]);
      }
      this.classes = new CategoryWindow(window, cum, rnd);
      value = compute();
    }

    @Override
    public double update(Observation o) {
      classes.push(o.predicted());
      value = compute();
      return value;
    }

    private double compute() {
      long[] counts = classes.counts();
      double x = 0;
      for (int c = 0; c < counts.length; c++) {
        double d = counts[c] - expected[c];
        x += d * d / expected[c];
      }
      return x;
    }

    @Override
    public Map<String, Double> details() {
      Map<String, Double> d = new LinkedHashMap<>();
      d.put("chi2", value);
      d.put("chi2_p", ChiSquared.pValue(value, expected.length - 1));
      d.put("psi", PopulationStabilityIndex.of(classes.counts(), reference, PopulationStabilityIndex.DEFAULT_EPSILON));
      return d;
    }
  }
}
