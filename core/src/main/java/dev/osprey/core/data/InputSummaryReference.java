package dev.osprey.core.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
   * Summaries of at most {@code sampleSize} images of {@code data}, evenly spaced through it
   * (image {@code floor(i * size / sampleSize)}), so a shuffled dataset gives a uniform sample.
   */
  public static InputSummaryReference of(ImageDataset data, int sampleSize) {
    if (sampleSize < 1) {
      throw new IllegalArgumentException("sampleSize must be >= 1, got " + sampleSize);
    }
    int take = Math.min(data.size(), sampleSize);
    List<float[]> rows = new ArrayList<>(take);
    for (int i = 0; i < take; i++) {
      int image = (int) ((long) i * data.size() / take);
      rows.add(InputSummaries.ofUint8(data.image(image), data.rows(), data.cols()));
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
