package dev.osprey.monitor.drift;

import dev.osprey.monitor.stats.MaximumMeanDiscrepancy;
import dev.osprey.monitor.stats.RandomFourierFeatures;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Embedding drift by MMD with a Gaussian kernel, in linear time: rows are mapped to random
 * Fourier features φ and the statistic is {@code |mean_window φ - mean_reference φ|^2}, a biased
 * but consistent estimate of MMD^2 whose bias under no drift the calibration absorbs. The
 * bandwidth is the median pairwise distance of the reference embeddings. O(D * dim) per sample.
 */
public final class EmbeddingMmdTest extends WindowedTest {
  private static final int MEDIAN_ROWS = 500;

  private final List<float[]> reference;
  private final RandomFourierFeatures features;
  private final double[][] referenceFeatures;
  // φ of each reference row by identity: simulated streams replay reference rows, so their
  // features are looked up instead of recomputed
  private final Map<float[], double[]> featuresOfReferenceRow = new IdentityHashMap<>();

  /**
   * @param reference reference embeddings
   * @param features D, the number of random features
   * @param seed draw of the random features
   */
  public EmbeddingMmdTest(List<float[]> reference, int window, int features, long seed) {
    super("embedding-mmd", window);
    if (reference.size() < 2) {
      throw new IllegalArgumentException("reference needs >= 2 embeddings, got " + reference.size());
    }
    this.reference = List.copyOf(reference);
    float[][] rows = reference.toArray(float[][]::new);
    double sigma = MaximumMeanDiscrepancy.medianHeuristic(rows, MEDIAN_ROWS);
    this.features = new RandomFourierFeatures(rows[0].length, features, sigma, seed);
    this.referenceFeatures = new double[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      referenceFeatures[i] = this.features.map(rows[i]);
      featuresOfReferenceRow.put(this.reference.get(i), referenceFeatures[i]);
    }
  }

  @Override
  public boolean accepts(Observation o) {
    return o.embedding() != null && o.embedding().length == features.inputDim();
  }

  @Override
  public WindowStatistic start(SplittableRandom rnd) {
    double[] mean = new double[features.features()];
    for (double[] phi : referenceFeatures) {
      addScaled(mean, phi, 1.0 / referenceFeatures.length);
    }
    return new Statistic(mean, rnd);
  }

  @Override
  public NullPath simulate(SplittableRandom rnd) {
    double[] mean = new double[features.features()];
    int n = referenceFeatures.length;
    for (int i = 0; i < n; i++) {
      addScaled(mean, referenceFeatures[rnd.nextInt(n)], 1.0 / n);
    }
    Statistic s = new Statistic(mean, rnd);
    return new NullPath(s, () -> new Observation(null, null, 0, 0f, null, reference.get(rnd.nextInt(n))));
  }

  private static void addScaled(double[] acc, double[] v, double w) {
    for (int i = 0; i < acc.length; i++) {
      acc[i] += w * v[i];
    }
  }

  private final class Statistic extends Valued {
    private final double[] referenceMean;
    private final double[] sum;
    private final double[][] ring;
    private int head;

    Statistic(double[] referenceMean, SplittableRandom rnd) {
      this.referenceMean = referenceMean;
      int d = features.features();
      this.sum = new double[d];
      this.ring = new double[window][];
      for (int i = 0; i < window; i++) {
        ring[i] = referenceFeatures[rnd.nextInt(referenceFeatures.length)].clone();
        addScaled(sum, ring[i], 1);
      }
      value = compute();
    }

    @Override
    public double update(Observation o) {
      double[] slot = ring[head];
      addScaled(sum, slot, -1);
      double[] known = featuresOfReferenceRow.get(o.embedding());
      if (known != null) {
        System.arraycopy(known, 0, slot, 0, slot.length);
      } else {
        features.map(o.embedding(), slot);
      }
      addScaled(sum, slot, 1);
      head = (head + 1) % window;
      value = compute();
      return value;
    }

    private double compute() {
      double s = 0;
      for (int f = 0; f < sum.length; f++) {
        double v = sum[f] / window - referenceMean[f];
        s += v * v;
      }
      return s;
    }

    @Override
    public Map<String, Double> details() {
      return Map.of("mmd2", value);
    }
  }
}
