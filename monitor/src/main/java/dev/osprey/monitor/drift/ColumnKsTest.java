package dev.osprey.monitor.drift;

import dev.osprey.monitor.stats.KolmogorovSmirnov;
import dev.osprey.monitor.stats.SlidingKolmogorovSmirnov;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Per-column two-sample KS tests of a window against reference rows, combined by their maximum:
 * BBSD (black-box shift detection, Rabanser et al. 2019, "Failing Loudly") on the softmax outputs,
 * one test per class; and the same on per-sample input summaries.
 *
 * <p>Multiple testing: the maximum of the columns' D is thresholded once, and the threshold is
 * calibrated on simulated no-drift streams of whole rows, so the correction accounts for the
 * columns' dependence (softmax columns sum to 1) instead of Bonferroni's worst case. The details
 * still report the Bonferroni-adjusted smallest per-column p-value, as Rabanser et al. do.
 */
public final class ColumnKsTest extends WindowedTest {
  private final List<String> columnNames;
  private final List<float[]> reference;
  private final Function<Observation, float[]> column;
  private final Function<float[], Observation> simulated;

  private ColumnKsTest(String name, List<String> columnNames, List<float[]> reference, int window,
      Function<Observation, float[]> column, Function<float[], Observation> simulated) {
    super(name, window);
    if (reference.size() < 2) {
      throw new IllegalArgumentException(name + ": reference needs >= 2 rows, got " + reference.size());
    }
    this.columnNames = List.copyOf(columnNames);
    this.reference = List.copyOf(reference);
    this.column = column;
    this.simulated = simulated;
  }

  /** BBSD: KS per class of the softmax output against the profile's softmax sample. */
  public static ColumnKsTest bbsd(List<float[]> softmaxSample, int window) {
    int classes = softmaxSample.isEmpty() ? 0 : softmaxSample.get(0).length;
    List<String> names = java.util.stream.IntStream.range(0, classes).mapToObj(c -> "class_" + c).toList();
    return new ColumnKsTest("bbsd-ks", names, softmaxSample, window, Observation::probabilities,
        row -> new Observation(null, row, 0, 0f, null, null));
  }

  /** KS per input summary feature against a reference sample of summaries. */
  public static ColumnKsTest inputSummaries(List<String> features, List<float[]> sample, int window) {
    return new ColumnKsTest("input-ks", features, sample, window, Observation::inputSummary,
        row -> new Observation(null, null, 0, 0f, row, null));
  }

  @Override
  public boolean accepts(Observation o) {
    float[] row = column.apply(o);
    return row != null && row.length == columnNames.size();
  }

  @Override
  public WindowStatistic start(SplittableRandom rnd) {
    return prefilled(reference.toArray(float[][]::new), rnd);
  }

  @Override
  public NullPath simulate(SplittableRandom rnd) {
    WindowStatistic s = prefilled(Draws.resample(reference, reference.size(), rnd), rnd);
    return new NullPath(s, () -> simulated.apply(reference.get(rnd.nextInt(reference.size()))));
  }

  private WindowStatistic prefilled(float[][] ref, SplittableRandom rnd) {
    SlidingKolmogorovSmirnov ks = new SlidingKolmogorovSmirnov(ref, window);
    for (int i = 0; i < window; i++) {
      ks.add(reference.get(rnd.nextInt(reference.size())));
    }
    return new Statistic(ks, ref.length);
  }

  private final class Statistic extends Valued {
    private final SlidingKolmogorovSmirnov ks;
    private final int referenceSize;

    Statistic(SlidingKolmogorovSmirnov ks, int referenceSize) {
      this.ks = ks;
      this.referenceSize = referenceSize;
      this.value = ks.maxStatistic();
    }

    @Override
    public double update(Observation o) {
      ks.slide(column.apply(o));
      value = ks.maxStatistic();
      return value;
    }

    @Override
    public Map<String, Double> details() {
      Map<String, Double> d = new LinkedHashMap<>();
      double minP = 1;
      for (int c = 0; c < columnNames.size(); c++) {
        double stat = ks.statistic(c);
        d.put("ks_" + columnNames.get(c), stat);
        minP = Math.min(minP, KolmogorovSmirnov.pValue(stat, referenceSize, window));
      }
      d.put("p_bonferroni", Math.min(1, minP * columnNames.size()));
      return d;
    }
  }
}
