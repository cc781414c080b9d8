package dev.osprey.monitor.quality;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.model.registry.CalibrationMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OnlineQualityTest {
  private static final int CLASSES = 4;

  static List<LabeledOutcome> outcomes(int n, long seed) {
    Random rnd = new Random(seed);
    List<LabeledOutcome> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int actual = rnd.nextInt(CLASSES);
      float confidence = 0.25f + 0.75f * rnd.nextFloat();
      boolean right = rnd.nextFloat() < confidence;
      int predicted = right ? actual : (actual + 1 + rnd.nextInt(CLASSES - 1)) % CLASSES;
      float labelP = right ? confidence : (1 - confidence) * rnd.nextFloat();
      out.add(new LabeledOutcome("s" + i, predicted, actual, confidence, labelP, 1000L * i, 50 + rnd.nextInt(500)));
    }
    return out;
  }

  /** The offline figures, computed directly from the list. */
  static double[] offline(List<LabeledOutcome> os, int bins) {
    long right = 0;
    double logLoss = 0;
    double delay = 0;
    double[] binN = new double[bins];
    double[] binRight = new double[bins];
    double[] binConf = new double[bins];
    for (LabeledOutcome o : os) {
      right += o.correct() ? 1 : 0;
      logLoss -= Math.log(Math.max(1e-15, o.labelProbability()));
      delay += o.delayMillis();
      int b = Math.min(bins - 1, (int) (o.confidence() * bins));
      binN[b]++;
      binRight[b] += o.correct() ? 1 : 0;
      binConf[b] += o.confidence();
    }
    double ece = 0;
    for (int b = 0; b < bins; b++) {
      if (binN[b] > 0) {
        ece += binN[b] / os.size() * Math.abs(binRight[b] / binN[b] - binConf[b] / binN[b]);
      }
    }
    return new double[] {(double) right / os.size(), ece, logLoss / os.size(), delay / os.size()};
  }

  @Test
  void onlineAccuracyEqualsOfflineAccuracyOnTheSameLabeledSamples() {
    List<LabeledOutcome> os = outcomes(5000, 1);
    OnlineQuality q = new OnlineQuality(CLASSES, new QualityConfig(1000, 3_600_000, 15));
    for (int i = 0; i < os.size(); i++) {
      q.onPrediction(1000L * i);
      q.onOutcome(os.get(i));
    }
    double[] all = offline(os, 15);
    QualitySnapshot total = q.total();
    assertEquals(5000, total.labeled());
    assertEquals(all[0], total.accuracy(), 0.0);
    assertEquals(all[1], total.ece(), 1e-9);
    assertEquals(all[2], total.logLoss(), 1e-9);
    assertEquals(all[3], total.meanDelayMillis(), 1e-9);
    assertEquals(1.0, total.coverage());

    double[] last = offline(os.subList(4000, 5000), 15);
    QualitySnapshot window = q.lastOutcomes();
    assertEquals(1000, window.labeled());
    assertEquals(last[0], window.accuracy(), 0.0);
    assertEquals(last[1], window.ece(), 1e-9);
    assertEquals(last[2], window.logLoss(), 1e-9);
    assertEquals(last[3], window.meanDelayMillis(), 1e-9);
  }

  @Test
  void perClassRecallCountsByTrueClass() {
    OnlineQuality q = new OnlineQuality(3, QualityConfig.defaults());
    q.onOutcome(new LabeledOutcome("a", 0, 0, 0.9f, 0.9f, 1, 10));
    q.onOutcome(new LabeledOutcome("b", 1, 0, 0.6f, 0.3f, 2, 10));
    q.onOutcome(new LabeledOutcome("c", 1, 1, 0.7f, 0.7f, 3, 10));
    q.onOutcome(new LabeledOutcome("d", 0, 0, 0.8f, 0.8f, 4, 10));
    double[] recall = q.total().recall();
    assertEquals(2.0 / 3, recall[0], 1e-12);
    assertEquals(1.0, recall[1]);
    assertTrue(Double.isNaN(recall[2]));
    assertEquals(0.75, q.total().accuracy());
  }

  @Test
  void timeWindowKeepsPredictionsOfTheLastTMillisAndCoverage() {
    List<LabeledOutcome> os = outcomes(3000, 2);
    QualityConfig config = new QualityConfig(100_000, 600_000, 10);
    OnlineQuality q = new OnlineQuality(CLASSES, config);
    // every prediction is made (one per second); only the even ones get labels, late and out of order
    for (int i = 0; i < os.size(); i++) {
      q.onPrediction(1000L * i);
      if (i >= 10 && (i - 10) % 2 == 0) {
        q.onOutcome(os.get(i - 10 + (i % 4 == 0 ? 2 : 0)));
      }
    }
    // now = 2,999,000 ms; the window holds predictions made after 2,399,000 ms: indices 2400..2999
    List<LabeledOutcome> expected = new ArrayList<>();
    for (int i = 10; i < os.size(); i += 2) {
      LabeledOutcome o = os.get(i - 10 + (i % 4 == 0 ? 2 : 0));
      if (o.predictionTimestamp() > 2_399_000) {
        expected.add(o);
      }
    }
    QualitySnapshot t = q.lastTime();
    assertEquals(expected.size(), t.labeled());
    assertEquals(offline(expected, 10)[0], t.accuracy(), 0.0);
    // about half of the window's 600 predictions are labeled yet
    assertEquals((double) expected.size() / 600, t.coverage(), 0.02);
    assertEquals(0.5, q.total().coverage(), 0.01);
  }

  @Test
  void anOutcomeBeforeAnyPredictionIsInTheTimeWindow() {
    OnlineQuality q = new OnlineQuality(2, QualityConfig.defaults());
    assertTrue(Double.isNaN(q.lastTime().accuracy()));
    q.onOutcome(new LabeledOutcome("a", 1, 1, 0.9f, 0.9f, 5_000, 100));
    assertEquals(1, q.lastTime().labeled());
    assertEquals(1.0, q.lastTime().accuracy());
    // ten minutes and one millisecond later it has left the window
    q.onPrediction(5_000 + 600_001);
    assertEquals(0, q.lastTime().labeled());
    assertEquals(1, q.total().labeled());
  }

  @Test
  void rejectsClassesTheVersionDoesNotHave() {
    OnlineQuality q = new OnlineQuality(2, QualityConfig.defaults());
    assertThrows(IllegalArgumentException.class, () -> q.onOutcome(new LabeledOutcome("x", 0, 5, 0.5f, 0.1f, 0, 0)));
    assertThrows(IllegalArgumentException.class, () -> new QualityConfig(0, 600_000, 10));
    assertTrue(Double.isNaN(q.lastOutcomes().accuracy()));
  }

  @Test
  void isotonicFitPoolsViolatorsAndInterpolates() {
    CalibrationMap m = CalibrationMap.fit(new float[] {0.4f, 0.1f, 0.3f, 0.2f}, new boolean[] {true, true, true, false});
    // sorted: 0.1 right, 0.2 wrong -> pooled (0.15, 0.5); 0.3 and 0.4 right -> (0.35, 1)
    assertArrayEquals(new double[] {0.15, 0.35}, m.knots(), 1e-6);
    assertArrayEquals(new double[] {0.5, 1.0}, m.values(), 1e-12);
    assertEquals(0.75, m.apply(0.25), 1e-6);
    assertEquals(0.5, m.apply(0.0));
    assertEquals(1.0, m.apply(0.99));
    assertEquals(0.3, CalibrationMap.identity().apply(0.3), 1e-12);
  }

  @Test
  void estimatedAccuracyIsTheMeanCalibratedConfidenceOfTheWindow() {
    EstimatedAccuracy e = new EstimatedAccuracy(CalibrationMap.identity(), 3);
    assertTrue(Double.isNaN(e.value()));
    e.onPrediction(0.9f);
    e.onPrediction(0.6f);
    assertEquals(0.75, e.value(), 1e-6);
    e.onPrediction(0.3f);
    e.onPrediction(0.3f);
    assertEquals(0.4, e.value(), 1e-6);
    assertEquals(3, e.size());
  }
}
