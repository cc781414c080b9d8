package dev.osprey.core.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * What the inputs looked like on reference data: a sample of {@link InputSummaries} rows, which
 * the input drift detector compares live summaries with. The model packager computes it beside
 * the reference profile, from the same held-out reference data.
 *
 * @param features summary names ({@link InputSummaries#FEATURES})
 * @param sample one summary row per sampled reference input
 */
public record InputSummaryReference(List<String> features, List<float[]> sample) {

  /** @throws IllegalArgumentException if the sample is empty or a row does not fit the features */
  public InputSummaryReference {
    features = List.copyOf(features);
    if (features.isEmpty()) {
      throw new IllegalArgumentException("features must not be empty");
    }
    if (sample == null || sample.isEmpty()) {
      throw new IllegalArgumentException("sample must hold at least one row");
    }
    List<float[]> rows = new ArrayList<>(sample.size());
    for (int i = 0; i < sample.size(); i++) {
      float[] r = sample.get(i);
      if (r == null || r.length != features.size()) {
        throw new IllegalArgumentException("sample row " + i + " has " + (r == null ? "no" : r.length)
            + " values, expected " + features.size());
      }
      rows.add(r.clone());
    }
    sample = List.copyOf(rows);
  }

  /**
   * Summaries of a seeded uniform subset of at most {@code sampleSize} images of {@code data},
   * in dataset order.
   */
  public static InputSummaryReference of(ImageDataset data, int sampleSize, long seed) {
    if (sampleSize < 1) {
      throw new IllegalArgumentException("sampleSize must be >= 1, got " + sampleSize);
    }
    int n = data.size();
    int take = Math.min(n, sampleSize);
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    Random rnd = new Random(seed);
    for (int i = 0; i < take; i++) {
      int j = i + rnd.nextInt(n - i);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    int[] chosen = Arrays.copyOf(idx, take);
    Arrays.sort(chosen);
    List<float[]> rows = new ArrayList<>(take);
    for (int i : chosen) {
      rows.add(InputSummaries.ofUint8(data.image(i), data.rows(), data.cols()));
    }
    return new InputSummaryReference(InputSummaries.FEATURES, rows);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof InputSummaryReference r) || !features.equals(r.features) || sample.size() != r.sample.size()) {
      return false;
    }
    for (int i = 0; i < sample.size(); i++) {
      if (!Arrays.equals(sample.get(i), r.sample.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = features.hashCode();
    for (float[] r : sample) {
      h = 31 * h + Arrays.hashCode(r);
    }
    return h;
  }

  @Override
  public String toString() {
    return "InputSummaryReference[features=" + features + ", sample=" + sample.size() + " rows]";
  }
}
