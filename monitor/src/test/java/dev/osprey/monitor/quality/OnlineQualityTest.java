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

  /**
   * The time window is kept as per-bucket sums: after 200,000 outcomes of 10 classes at about 333
   * predictions/s through the default 10-minute window (two windows' worth, labels late and out of
   * order), the saved state stays small and the figures equal a brute-force pass over the outcomes
   * whose prediction's bucket is in the window.
   */
  @Test
  void theTimeWindowIsBoundedAndExactToItsBuckets() throws Exception {
    int classes = 10;
    QualityConfig config = QualityConfig.defaults();
    OnlineQuality q = new OnlineQuality(classes, config);
    Random rnd = new Random(7);
    List<LabeledOutcome> all = new ArrayList<>();
    List<Long> predictionTimes = new ArrayList<>();
    List<LabeledOutcome> pending = new ArrayList<>();
    int predictionsMade = 400_000;
    for (int i = 0; i < predictionsMade; i++) {
      long t = 3L * i; // 333 predictions/s: 400,000 over 1,200 s
      q.onPrediction(t);
      predictionTimes.add(t);
      if (i % 2 == 0) {
        int actual = rnd.nextInt(classes);
        float confidence = 0.1f + 0.9f * rnd.nextFloat();
        boolean right = rnd.nextFloat() < confidence;
        int predicted = right ? actual : (actual + 1 + rnd.nextInt(classes - 1)) % classes;
        float labelP = right ? confidence : (1 - confidence) * rnd.nextFloat();
        pending.add(new LabeledOutcome("sample-" + i, predicted, actual, confidence, labelP, t, 1 + rnd.nextInt(30_000)));
      }
      // labels arrive in batches of 64, shuffled: late and out of order
      if (pending.size() == 64 || i == predictionsMade - 1) {
        java.util.Collections.shuffle(pending, rnd);
        for (LabeledOutcome o : pending) {
          q.onOutcome(o);
          all.add(o);
        }
        pending.clear();
      }
    }
    assertEquals(200_000, all.size());

    long now = 3L * (predictionsMade - 1);
    long bucket = config.bucketMillis();
    assertEquals(5_000, bucket);
    long first = Math.floorDiv(now - config.timeWindowMillis(), bucket) + 1;
    List<LabeledOutcome> window = all.stream().filter(o -> Math.floorDiv(o.predictionTimestamp(), bucket) >= first).toList();
    long made = predictionTimes.stream().filter(t -> Math.floorDiv(t, bucket) >= first).count();
    // the window starts at the first bucket after now - T: between T - T/120 and T of predictions
    long start = first * bucket;
    assertTrue(now - start > config.timeWindowMillis() - bucket && now - start <= config.timeWindowMillis());
    // now = 1,199,997 ms: the buckets from 600,000 ms, 200,000 predictions, every second one labeled
    assertEquals(600_000, start);
    assertEquals(100_000, window.size());

    QualitySnapshot t = q.lastTime();
    double[] expected = offline(window, config.eceBins());
    assertEquals(window.size(), t.labeled());
    assertEquals(expected[0], t.accuracy(), 0.0);
    assertEquals(expected[1], t.ece(), 1e-9);
    assertEquals(expected[2], t.logLoss(), 1e-9);
    assertEquals(expected[3], t.meanDelayMillis(), 1e-9);
    assertEquals((double) window.size() / made, t.coverage(), 0.0);
    for (int c = 0; c < classes; c++) {
      final int k = c;
      long support = window.stream().filter(o -> o.actual() == k).count();
      long hits = window.stream().filter(o -> o.actual() == k && o.correct()).count();
      assertEquals((double) hits / support, t.recall()[c], 0.0);
    }

    // the saved state: bounded by the count window and the buckets, not by the 100,000 outcomes
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(bytes)) {
      json.writeValue(gz, q.state());
    }
    System.out.println("quality state after 200,000 outcomes (" + window.size() + " in the time window): "
        + bytes.size() + " bytes gzipped");
    assertTrue(bytes.size() < 60_000, bytes.size() + " bytes");

    // and it continues exactly after a round trip through JSON
    OnlineQuality.State decoded;
    try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(
        new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      decoded = json.readValue(in, OnlineQuality.State.class);
    }
    OnlineQuality restored = OnlineQuality.restore(config, decoded);
    for (OnlineQuality x : List.of(q, restored)) {
      x.onPrediction(now + 7_000);
      x.onOutcome(new LabeledOutcome("late", 1, 1, 0.8f, 0.8f, now + 7_000, 100));
    }
    assertSnapshotEquals(q.lastTime(), restored.lastTime());
    assertSnapshotEquals(q.lastOutcomes(), restored.lastOutcomes());
    assertSnapshotEquals(q.total(), restored.total());
    assertTrue(q.lastTime().labeled() < window.size(), "the oldest bucket left the window");
  }

  private static void assertSnapshotEquals(QualitySnapshot a, QualitySnapshot b) {
    assertEquals(a.labeled(), b.labeled());
    assertEquals(a.accuracy(), b.accuracy(), 0.0);
    assertArrayEquals(a.recall(), b.recall(), 0.0);
    assertEquals(a.ece(), b.ece(), 0.0);
    assertEquals(a.logLoss(), b.logLoss(), 0.0);
    assertEquals(a.meanConfidence(), b.meanConfidence(), 0.0);
    assertEquals(a.coverage(), b.coverage(), 0.0);
    assertEquals(a.meanDelayMillis(), b.meanDelayMillis(), 0.0);
  }

  @Test
  void aLatePredictionOutsideTheWindowDoesNotDisturbIt() {
    OnlineQuality q = new OnlineQuality(2, QualityConfig.defaults());
    q.onPrediction(1_000_000);
    q.onOutcome(new LabeledOutcome("a", 1, 1, 0.9f, 0.9f, 1_000_000, 100));
    // 605 s earlier: its bucket is out of the window, and maps to the same slot as the live one
    q.onPrediction(1_000_000 - 121 * 5_000);
    q.onOutcome(new LabeledOutcome("b", 0, 1, 0.9f, 0.1f, 1_000_000 - 121 * 5_000, 100));
    assertEquals(1, q.lastTime().labeled());
    assertEquals(1.0, q.lastTime().accuracy());
    assertEquals(1.0, q.lastTime().coverage());
    assertEquals(2, q.total().labeled());
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
