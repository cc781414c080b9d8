package dev.osprey.model.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AbsHistogramTest {

  @Test
  void percentileOfUniformIsThatFractionOfTheRange() {
    float[] x = new float[100_000];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i + 0.5f) / x.length * 10f; // uniform on [0, 10)
    }
    AbsHistogram h = new AbsHistogram(10f, 2048);
    h.add(x, 0, x.length);
    assertEquals(100_000, h.total());
    assertEquals(9.0f, h.percentileThreshold(90), 0.01f);
    assertEquals(10f, h.percentileThreshold(100), 1e-6f);
  }

  @Test
  void entropyThresholdOnGaussianClipsTheTailButKeepsTheBulk() {
    // |N(0,1)| with a few huge outliers: min-max would waste resolution on them
    Random r = new Random(42);
    float[] x = new float[200_000];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    x[0] = 40f;
    x[1] = -35f;
    float max = 40f;
    AbsHistogram h = new AbsHistogram(max, 2048);
    h.add(x, 0, x.length);
    float t = h.entropyThreshold();
    System.out.println("entropy threshold on N(0,1) + outliers at 40: " + t);
    // well below the max, but above the 99.9th percentile of |N(0,1)| (3.29) - TensorRT gets ~4 for this
    assertTrue(t < 10f, "threshold " + t);
    assertTrue(t > 2.5f, "threshold " + t);
  }

  @Test
  void entropyOfUniformKeepsAlmostTheWholeRange() {
    // nothing to clip: the best threshold is near the max
    float[] x = new float[100_000];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i + 0.5f) / x.length;
    }
    AbsHistogram h = new AbsHistogram(1f, 1024);
    h.add(x, 0, x.length);
    assertTrue(h.entropyThreshold() > 0.9f, "threshold " + h.entropyThreshold());
  }

  @Test
  void klOfIdenticalDistributionsIsZero() {
    assertEquals(0.0, AbsHistogram.klDivergence(new double[] {1, 2, 3}, new double[] {2, 4, 6}), 1e-12);
    assertTrue(AbsHistogram.klDivergence(new double[] {1, 0, 3}, new double[] {1, 1, 1}) > 0);
  }
}
