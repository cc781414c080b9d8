package dev.osprey.monitor.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SlidingKolmogorovSmirnovTest {

  @Test
  void equalsTheOfflineStatisticAtEveryStepTiesIncluded() {
    Random rnd = new Random(11);
    int n = 300;
    int w = 40;
    float[][] ref = new float[n][3];
    for (float[] r : ref) {
      r[0] = (float) rnd.nextGaussian();
      r[1] = rnd.nextInt(6); // heavy ties
      r[2] = rnd.nextFloat() < 0.5 ? 1f : rnd.nextFloat(); // a point mass plus a continuum
    }
    SlidingKolmogorovSmirnov ks = new SlidingKolmogorovSmirnov(ref, w);
    float[][] stream = new float[500][3];
    for (int t = 0; t < stream.length; t++) {
      double drift = t > 250 ? 0.5 : 0;
      stream[t][0] = (float) (rnd.nextGaussian() + drift);
      stream[t][1] = rnd.nextInt(t > 250 ? 8 : 6);
      stream[t][2] = rnd.nextFloat() < 0.5 - drift / 2 ? 1f : rnd.nextFloat();
      if (t < w) {
        ks.add(stream[t]);
      } else {
        ks.slide(stream[t]);
      }
      if (t >= w - 1) {
        for (int c = 0; c < 3; c++) {
          double[] win = new double[w];
          double[] refCol = new double[n];
          for (int i = 0; i < w; i++) {
            win[i] = stream[t - w + 1 + i][c];
          }
          for (int i = 0; i < n; i++) {
            refCol[i] = ref[i][c];
          }
          assertEquals(KolmogorovSmirnov.statistic(refCol, win), ks.statistic(c), 1e-9, "t=" + t + " column " + c);
        }
      }
    }
  }

  @Test
  void slidingBeforeTheWindowIsFullIsRefused() {
    SlidingKolmogorovSmirnov ks = new SlidingKolmogorovSmirnov(new float[][] {{1f}, {2f}}, 2);
    assertThrows(IllegalStateException.class, () -> ks.slide(new float[] {1f}));
    ks.add(new float[] {1f});
    ks.add(new float[] {2f});
    assertEquals(0.0, ks.maxStatistic(), 1e-12);
    assertThrows(IllegalStateException.class, () -> ks.add(new float[] {1f}));
  }
}
