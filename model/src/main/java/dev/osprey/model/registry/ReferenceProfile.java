package dev.osprey.model.registry;

import dev.osprey.model.Softmax;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * What the model's outputs looked like on reference data when it was published; drift detectors
 * compare live traffic against it.
 *
 * @param classPrior fraction of reference samples predicted as each class (sums to 1)
 * @param confidence histogram of the top-class probability
 * @param softmaxSample a sample of softmax output vectors, one value per class
 * @param embeddingSample a sample of penultimate-layer embeddings (empty when the model exposes none,
 *     e.g. an imported ONNX classifier)
 */
public record ReferenceProfile(
    double[] classPrior, ConfidenceHistogram confidence, List<float[]> softmaxSample, List<float[]> embeddingSample) {
  private static final double PRIOR_TOLERANCE = 1e-6;

  /** @throws IllegalArgumentException naming the field when the profile is inconsistent */
  public ReferenceProfile {
    if (classPrior == null || classPrior.length == 0) {
      throw new IllegalArgumentException("classPrior must not be empty");
    }
    double sum = 0;
    for (double p : classPrior) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException("classPrior values must lie in [0, 1], got " + Arrays.toString(classPrior));
      }
      sum += p;
    }
    if (Math.abs(sum - 1) > PRIOR_TOLERANCE) {
      throw new IllegalArgumentException("classPrior must sum to 1, sums to " + sum);
    }
    if (confidence == null) {
      throw new IllegalArgumentException("confidence histogram must not be null");
    }
    softmaxSample = copyRows("softmaxSample", softmaxSample, classPrior.length);
    embeddingSample = copyRows("embeddingSample", embeddingSample == null ? List.of() : embeddingSample, -1);
    classPrior = classPrior.clone();
  }

  /**
   * Builds a profile from the softmax outputs (and optionally embeddings) of a model on reference
   * data: the predicted-class prior and confidence histogram use every row; the stored samples are
   * a seeded random subset of at most {@code sampleSize} rows, in their original order.
   *
   * @param softmax one probability vector per reference sample
   * @param embeddings one embedding per reference sample (same order), or an empty list
   * @param bins confidence histogram bins on [0, 1]
   * @param sampleSize rows to keep
   * @param seed sampling seed
   */
  public static ReferenceProfile fromSoftmax(
      List<float[]> softmax, List<float[]> embeddings, int bins, int sampleSize, long seed) {
    if (softmax.isEmpty()) {
      throw new IllegalArgumentException("softmax must hold at least one row");
    }
    if (!embeddings.isEmpty() && embeddings.size() != softmax.size()) {
      throw new IllegalArgumentException(
          "embeddings must be empty or have one row per softmax row: " + embeddings.size() + " vs " + softmax.size());
    }
    if (sampleSize < 0) {
      throw new IllegalArgumentException("sampleSize must be >= 0, got " + sampleSize);
    }
    int classes = softmax.get(0).length;
    double[] prior = new double[classes];
    double[] top = new double[softmax.size()];
    for (int i = 0; i < softmax.size(); i++) {
      float[] p = softmax.get(i);
      if (p.length != classes) {
        throw new IllegalArgumentException("softmax row " + i + " has " + p.length + " values, expected " + classes);
      }
      int best = Softmax.argmax(p);
      prior[best]++;
      top[i] = Math.min(1.0, Math.max(0.0, p[best]));
    }
    for (int c = 0; c < classes; c++) {
      prior[c] /= softmax.size();
    }
    int[] chosen = sampleIndices(softmax.size(), sampleSize, seed);
    List<float[]> softmaxRows = new ArrayList<>(chosen.length);
    List<float[]> embeddingRows = new ArrayList<>(embeddings.isEmpty() ? 0 : chosen.length);
    for (int i : chosen) {
      softmaxRows.add(softmax.get(i));
      if (!embeddings.isEmpty()) {
        embeddingRows.add(embeddings.get(i));
      }
    }
    return new ReferenceProfile(prior, ConfidenceHistogram.ofUnitInterval(top, bins), softmaxRows, embeddingRows);
  }

  // Partial Fisher-Yates then sort: a uniform subset, deterministic for a seed.
  private static int[] sampleIndices(int n, int k, long seed) {
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    int take = Math.min(n, k);
    Random rnd = new Random(seed);
    for (int i = 0; i < take; i++) {
      int j = i + rnd.nextInt(n - i);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    int[] out = Arrays.copyOf(idx, take);
    Arrays.sort(out);
    return out;
  }

  private static List<float[]> copyRows(String field, List<float[]> rows, int width) {
    if (rows == null) {
      throw new IllegalArgumentException(field + " must not be null");
    }
    int expected = width;
    List<float[]> out = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      float[] r = rows.get(i);
      if (r == null || (expected >= 0 && r.length != expected)) {
        throw new IllegalArgumentException(
            field + " row " + i + " has " + (r == null ? "no" : r.length) + " values, expected " + expected);
      }
      expected = r.length;
      out.add(r.clone());
    }
    return List.copyOf(out);
  }

  @Override
  public double[] classPrior() {
    return classPrior.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReferenceProfile r
        && Arrays.equals(classPrior, r.classPrior)
        && confidence.equals(r.confidence)
        && rowsEqual(softmaxSample, r.softmaxSample)
        && rowsEqual(embeddingSample, r.embeddingSample);
  }

  private static boolean rowsEqual(List<float[]> a, List<float[]> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!Arrays.equals(a.get(i), b.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Arrays.hashCode(classPrior) * 31 + confidence.hashCode();
    for (float[] r : softmaxSample) {
      h = h * 31 + Arrays.hashCode(r);
    }
    for (float[] r : embeddingSample) {
      h = h * 31 + Arrays.hashCode(r);
    }
    return h;
  }

  @Override
  public String toString() {
    return "ReferenceProfile[classPrior=" + Arrays.toString(classPrior) + ", confidence=" + confidence
        + ", softmaxSample=" + softmaxSample.size() + " rows, embeddingSample=" + embeddingSample.size() + " rows]";
  }
}
