package dev.osprey.monitor.drift;

import dev.osprey.model.registry.ConfidenceHistogram;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The top-class probability against the reference confidence histogram: the KS distance between
 * the window's and the reference's binned CDFs, {@code max_j |F_ref(e_j) - F_win(e_j)|} over the
 * bin edges. Sensitive to the drop in confidence most shifts cause; the details add both means.
 */
public final class ConfidenceTest extends WindowedTest {
  private final double[] edges;
  private final double[] proportions;
  private final long referenceCount;

  public ConfidenceTest(ConfidenceHistogram histogram, int window) {
    super("confidence-ks", window);
    if (histogram.total() < 1) {
      throw new IllegalArgumentException("confidence histogram is empty");
    }
    this.edges = histogram.edges();
    this.referenceCount = histogram.total();
    long[] counts = histogram.counts();
    this.proportions = new double[counts.length];
    for (int b = 0; b < counts.length; b++) {
      proportions[b] = (double) counts[b] / referenceCount;
    }
  }

  @Override
  public boolean accepts(Observation o) {
    return !Float.isNaN(o.confidence());
  }

  @Override
  public WindowStatistic start(SplittableRandom rnd) {
    return new Statistic(proportions, Draws.cumulative(proportions), rnd);
  }

  @Override
  public NullPath simulate(SplittableRandom rnd) {
    double[] cum = Draws.cumulative(proportions);
    Statistic s = new Statistic(Draws.multinomialProportions(cum, referenceCount, rnd), cum, rnd);
    return new NullPath(s, () -> {
      int b = Draws.category(cum, rnd);
      return new Observation(null, null, 0, (float) ((edges[b] + edges[b + 1]) / 2), null, null);
    });
  }

  private int bin(double v) {
    int j = Arrays.binarySearch(edges, v);
    int b = j >= 0 ? j : -j - 2;
    return Math.max(0, Math.min(proportions.length - 1, b));
  }

  private final class Statistic extends Valued {
    private final double[] referenceCdf;
    private final double referenceMean;
    private final CategoryWindow bins;

    Statistic(double[] reference, double[] cum, SplittableRandom rnd) {
      this.referenceCdf = new double[reference.length];
      double acc = 0;
      double mean = 0;
      for (int b = 0; b < reference.length; b++) {
        acc += reference[b];
        referenceCdf[b] = acc;
        mean += reference[b] * (edges[b] + edges[b + 1]) / 2;
      }
      this.referenceMean = mean;
      this.bins = new CategoryWindow(window, cum, rnd);
      value = compute();
    }

    @Override
    public double update(Observation o) {
      bins.push(bin(o.confidence()));
      value = compute();
      return value;
    }

    private double compute() {
      long[] counts = bins.counts();
      double d = 0;
      long acc = 0;
      for (int b = 0; b < counts.length - 1; b++) {
        acc += counts[b];
        d = Math.max(d, Math.abs(referenceCdf[b] - (double) acc / window));
      }
      return d;
    }

    @Override
    public Map<String, Double> details() {
      long[] counts = bins.counts();
      double mean = 0;
      for (int b = 0; b < counts.length; b++) {
        mean += counts[b] * (edges[b] + edges[b + 1]) / 2;
      }
      Map<String, Double> d = new LinkedHashMap<>();
      d.put("ks", value);
      d.put("mean_confidence_binned", mean / window);
      d.put("mean_confidence_reference_binned", referenceMean);
      return d;
    }
  }
}
