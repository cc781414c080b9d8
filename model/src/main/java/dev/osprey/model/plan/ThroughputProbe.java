package dev.osprey.model.plan;

import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.PredictorException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Measures predictors side by side: several rounds, each predictor timed once per round in a
 * rotating order, so a noisy neighbour on a shared machine hurts every candidate alike. Reports the
 * median and the slowest round per predictor.
 */
public final class ThroughputProbe {
  /** Median and slowest round, samples per second. */
  public record Rate(double median, double min) {}

  private final float[][] batches;
  private final int batchSize;
  private final int rounds;
  private final double secondsPerRound;

  /**
   * @param inputs normalized samples, row-major (at least one batch)
   * @param sampleSize floats per sample
   * @param batchSize samples per predict call (the serving batch size)
   * @throws IllegalArgumentException if the inputs hold less than one batch or a count is not positive
   */
  public ThroughputProbe(float[] inputs, int sampleSize, int batchSize, int rounds, double secondsPerRound) {
    if (batchSize < 1 || rounds < 1 || !(secondsPerRound > 0)) {
      throw new IllegalArgumentException("batchSize, rounds and secondsPerRound must be positive");
    }
    int available = inputs.length / sampleSize / batchSize;
    if (available < 1) {
      throw new IllegalArgumentException("inputs hold fewer than " + batchSize + " samples");
    }
    batches = new float[Math.min(available, 16)][];
    for (int i = 0; i < batches.length; i++) {
      batches[i] = Arrays.copyOfRange(inputs, i * batchSize * sampleSize, (i + 1) * batchSize * sampleSize);
    }
    this.batchSize = batchSize;
    this.rounds = rounds;
    this.secondsPerRound = secondsPerRound;
  }

  /** One rate per predictor, in the order given. */
  public List<Rate> measure(List<? extends Predictor> predictors) throws PredictorException {
    int n = predictors.size();
    double[][] perRound = new double[n][rounds];
    for (Predictor p : predictors) {
      for (int i = 0; i < 10; i++) {
        p.predict(batches[i % batches.length], batchSize);
      }
    }
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < n; k++) {
        int idx = (k + r) % n; // rotate who goes first
        perRound[idx][r] = run(predictors.get(idx));
      }
    }
    List<Rate> out = new ArrayList<>();
    for (double[] rates : perRound) {
      double[] sorted = rates.clone();
      Arrays.sort(sorted);
      double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
          : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
      out.add(new Rate(median, sorted[0]));
    }
    return out;
  }

  private double run(Predictor p) throws PredictorException {
    long start = System.nanoTime();
    long end = start + (long) (secondsPerRound * 1e9);
    long samples = 0;
    int i = 0;
    long now;
    do {
      p.predict(batches[i++ % batches.length], batchSize);
      samples += batchSize;
      now = System.nanoTime();
    } while (now < end);
    return samples / ((now - start) / 1e9);
  }
}
