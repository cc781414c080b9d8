package dev.osprey.monitor.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.model.registry.ConfidenceHistogram;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Each test, calibrated on a finite reference drawn from a known distribution, then run on fresh
 * draws of that distribution (never the reference itself): the measured run time between false
 * alarms is the configured one, and a shift is flagged within a fraction of a window.
 */
class DriftTestsTest {
  private static final double ERT = 400;
  private static final int WINDOW = 50;
  private static final int REFERENCES = 8;
  private static final int STREAM = 25_000;

  /** A distribution of observations, shifted by {@code shift}. */
  interface Source {
    Observation draw(SplittableRandom rnd, double shift);
  }

  @Test
  void columnKsOnGaussianInputs() {
    Source gaussian = (rnd, shift) -> new Observation(null, null, 0, 0f,
        new float[] {(float) (rnd.nextGaussian() + shift), (float) rnd.nextGaussian()}, null);
    check("input-ks", gaussian, 0.8, rows -> ColumnKsTest.inputSummaries(List.of("a", "b"),
        rows.stream().map(Observation::inputSummary).toList(), WINDOW), 1000);
  }

  @Test
  void bbsdOnSoftmaxRows() {
    Source softmax = (rnd, shift) -> {
      double a = rnd.nextGaussian() + 1 + shift;
      double b = rnd.nextGaussian();
      double c = rnd.nextGaussian() - 1;
      double z = Math.exp(a) + Math.exp(b) + Math.exp(c);
      return Observation.of(null, new float[] {(float) (Math.exp(a) / z), (float) (Math.exp(b) / z), (float) (Math.exp(c) / z)});
    };
    check("bbsd-ks", softmax, -1.0, rows -> ColumnKsTest.bbsd(rows.stream().map(Observation::probabilities).toList(), WINDOW), 1000);
  }

  @Test
  void labelShiftOnAKnownPrior() {
    double[] prior = {0.5, 0.3, 0.15, 0.05};
    Source classes = (rnd, shift) -> {
      double[] p = shift == 0 ? prior : new double[] {0.3, 0.3, 0.15, 0.25};
      return new Observation(null, null, Draws.category(Draws.cumulative(p), rnd), 0f, null, null);
    };
    check("label-shift-chi2", classes, 1, rows -> {
      double[] counts = new double[prior.length];
      rows.forEach(o -> counts[o.predicted()] += 1.0 / rows.size());
      return new LabelShiftTest(counts, rows.size(), WINDOW);
    }, 5000);
  }

  @Test
  void confidenceAgainstAHistogram() {
    Source confidence = (rnd, shift) -> {
      double c = Math.min(1, Math.max(0, 1 - Math.abs(rnd.nextGaussian()) * (0.1 + shift)));
      return new Observation(null, null, 0, (float) c, null, null);
    };
    check("confidence-ks", confidence, 0.1, rows -> ConfidenceTestFactory.of(rows), 5000);
  }

  @Test
  void embeddingMmdOnGaussians() {
    Source embedding = (rnd, shift) -> {
      float[] e = new float[8];
      for (int i = 0; i < e.length; i++) {
        e[i] = (float) (rnd.nextGaussian() + (i < 4 ? shift : 0));
      }
      return new Observation(null, null, 0, 0f, null, e);
    };
    check("embedding-mmd", embedding, 0.8, rows -> new EmbeddingMmdTest(
        rows.stream().map(Observation::embedding).toList(), WINDOW, 64, 5), 1000);
  }

  @Test
  void falseAlarmsRightAfterAResetAreNoMoreFrequentThanLater() {
    // the windows start full of reference draws, so the first steps after a reset need no
    // threshold of their own: over 2,000 resets, the first window's worth of samples raises
    // about 2000 * 50 / 400 = 250 alarms at most
    SplittableRandom rnd = new SplittableRandom(42);
    List<float[]> ref = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      ref.add(new float[] {(float) rnd.nextGaussian()});
    }
    DriftTest test = ColumnKsTest.inputSummaries(List.of("x"), ref, WINDOW);
    ThresholdCalibration cal = ThresholdCalibration.calibrate(test, ERT, WINDOW, 16, 1000, 1);
    int alarms = 0;
    for (int r = 0; r < 2000; r++) {
      OnlineDriftDetector d = new OnlineDriftDetector(test, cal, WINDOW, r);
      for (int t = 0; t < WINDOW; t++) {
        DriftEvent e = d.observe(new Observation(null, null, 0, 0f, new float[] {(float) rnd.nextGaussian()}, null));
        alarms += e != null && e.state() == DriftEvent.State.ALARM ? 1 : 0;
      }
    }
    System.err.printf(Locale.ROOT, "first %d samples after 2000 resets: %d alarms (%.0f at 1/ERT per sample)%n",
        WINDOW, alarms, 2000 * WINDOW / ERT);
    assertTrue(alarms <= 1.5 * 2000 * WINDOW / ERT, alarms + " alarms right after resets");
  }

  /** Builds a confidence histogram of 20 bins from observations. */
  static final class ConfidenceTestFactory {
    static ConfidenceTest of(List<Observation> rows) {
      double[] c = rows.stream().mapToDouble(Observation::confidence).toArray();
      return new ConfidenceTest(ConfidenceHistogram.ofUnitInterval(c, 20), WINDOW);
    }
  }

  private static void check(String name, Source source, double shift, Function<List<Observation>, DriftTest> build,
      int referenceSize) {
    long alarms = 0;
    long samples = 0;
    List<Integer> delays = new ArrayList<>();
    for (int r = 0; r < REFERENCES; r++) {
      SplittableRandom rnd = new SplittableRandom(100 + r);
      List<Observation> ref = new ArrayList<>();
      for (int i = 0; i < referenceSize; i++) {
        ref.add(source.draw(rnd, 0));
      }
      DriftTest test = build.apply(ref);
      assertEquals(name, test.name());
      ThresholdCalibration cal = ThresholdCalibration.calibrate(test, ERT, WINDOW, 16, 1000, 7 + r);
      OnlineDriftDetector live = new OnlineDriftDetector(test, cal, WINDOW, r);
      for (int t = 0; t < STREAM; t++) {
        DriftEvent e = live.observe(source.draw(rnd, 0));
        if (e != null && e.state() == DriftEvent.State.ALARM) {
          alarms++;
        }
      }
      samples += STREAM;
      OnlineDriftDetector drifted = new OnlineDriftDetector(test, cal, WINDOW, r);
      for (int t = 0; t < 5 * WINDOW; t++) {
        drifted.observe(source.draw(rnd, 0));
      }
      // delay: first sample after the change at which the detector is in alarm (a false alarm
      // still running at the change counts as 0, which at this short ERT happens)
      int delay = -1;
      for (int t = 0; t < 10 * WINDOW && delay < 0; t++) {
        DriftEvent e = drifted.observe(source.draw(rnd, shift));
        if (e != null && e.state() == DriftEvent.State.ALARM) {
          // the onset estimate lands near the change (5 * WINDOW samples in); the statistic sits
          // above its median for up to a window before a change by chance
          assertTrue(e.onsetIndex() >= 3 * WINDOW && e.onsetIndex() <= 6 * WINDOW, name + " onset " + e.onsetIndex());
        }
        if (drifted.alarm()) {
          delay = t;
        }
      }
      delays.add(delay);
    }
    double measured = (double) samples / Math.max(1, alarms);
    System.err.printf(Locale.ROOT, "%s: %d false alarms in %d samples, run time %.0f (ERT %.0f); delays %s%n",
        name, alarms, samples, measured, ERT, delays);
    assertTrue(measured > 0.6 * ERT && measured < 1.7 * ERT, name + " measured run time " + measured);
    for (int d : delays) {
      assertTrue(d >= 0 && d <= WINDOW, name + " delay " + d + " of " + delays);
    }
  }
}
