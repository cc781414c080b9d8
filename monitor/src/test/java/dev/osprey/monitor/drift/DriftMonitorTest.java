package dev.osprey.monitor.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.InputSummaryReference;
import dev.osprey.model.registry.ReferenceProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DriftMonitorTest {
  private static final DriftConfig CONFIG = DriftConfig.defaults().withErt(2000).withWindow(40).withCalibration(20, 2000);

  /** Softmax over 3 classes from gaussian logits; shift moves mass from class 0 to class 2 and flattens it. */
  static float[] softmax(SplittableRandom rnd, double shift) {
    double t = 1 + shift;
    double[] z = {(rnd.nextGaussian() + 2 - shift) / t, rnd.nextGaussian() / t, (rnd.nextGaussian() + shift) / t};
    double s = Math.exp(z[0]) + Math.exp(z[1]) + Math.exp(z[2]);
    return new float[] {(float) (Math.exp(z[0]) / s), (float) (Math.exp(z[1]) / s), (float) (Math.exp(z[2]) / s)};
  }

  static float[] embedding(SplittableRandom rnd, double shift) {
    float[] e = new float[6];
    for (int i = 0; i < e.length; i++) {
      e[i] = (float) (rnd.nextGaussian() + shift);
    }
    return e;
  }

  static Observation observation(SplittableRandom rnd, int i, double shift) {
    return Observation.of("s-" + i, softmax(rnd, shift))
        .withEmbedding(embedding(rnd, shift))
        .withInputSummary(new float[] {(float) (rnd.nextGaussian() + shift)});
  }

  static ReferenceProfile profile(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<float[]> softmax = new ArrayList<>();
    List<float[]> embeddings = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      softmax.add(softmax(rnd, 0));
      embeddings.add(embedding(rnd, 0));
    }
    return ReferenceProfile.fromSoftmax(softmax, embeddings, 20, 1000, seed);
  }

  static InputSummaryReference inputs(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<float[]> rows = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      rows.add(new float[] {(float) rnd.nextGaussian()});
    }
    return new InputSummaryReference(List.of("x"), rows);
  }

  @Test
  void everyDetectorFlagsAShiftAndClearsAfterIt() {
    DriftMonitor monitor = new DriftMonitor(CONFIG);
    monitor.reset(profile(1), inputs(2));
    assertEquals(List.of("bbsd-ks", "label-shift-chi2", "confidence-ks", "input-ks", "embedding-mmd"),
        monitor.detectors().stream().map(OnlineDriftDetector::name).toList());
    // five detectors share the ERT: each is calibrated to 5 x 2000
    monitor.detectors().forEach(d -> assertEquals(10_000, d.calibration().ertSamples()));
    SplittableRandom rnd = new SplittableRandom(3);
    List<DriftEvent> events = new ArrayList<>();
    for (int i = 0; i < 1500; i++) {
      double shift = i >= 1000 && i < 1200 ? 1.5 : 0;
      events.addAll(monitor.observe(observation(rnd, i, shift)));
    }
    assertEquals(1500, monitor.samplesSeen());
    for (OnlineDriftDetector d : monitor.detectors()) {
      List<DriftEvent> mine = events.stream().filter(e -> e.detector().equals(d.name())).toList();
      DriftEvent alarm = mine.stream().filter(e -> e.state() == DriftEvent.State.ALARM && e.samplesSeen() > 1000)
          .findFirst().orElseThrow(() -> new AssertionError(d.name() + " raised no alarm: " + mine));
      assertTrue(alarm.samplesSeen() - 1000 <= 40, d.name() + " delay " + (alarm.samplesSeen() - 1000));
      assertTrue(alarm.statistic() > alarm.threshold());
      assertEquals(40, alarm.windowSize());
      assertFalse(alarm.details().isEmpty());
      assertTrue(alarm.onsetIndex() >= 940 && alarm.onsetIndex() <= 1040, d.name() + " onset " + alarm.onsetIndex());
      assertEquals("s-" + alarm.onsetIndex(), alarm.onsetSampleId());
      DriftEvent clear = mine.stream().filter(e -> e.state() == DriftEvent.State.CLEAR && e.samplesSeen() > alarm.samplesSeen())
          .findFirst().orElseThrow(() -> new AssertionError(d.name() + " never cleared: " + mine));
      assertTrue(clear.samplesSeen() > 1200, d.name() + " cleared during the shift at " + clear.samplesSeen());
      assertEquals(alarm.onsetIndex(), clear.onsetIndex());
    }
    assertFalse(monitor.alarm());
  }

  @Test
  void resetRestartsTheStreamAndReusesCalibrations() {
    DriftMonitor monitor = new DriftMonitor(CONFIG.withDisabled(Set.of("embedding-mmd", "bbsd-ks")));
    ReferenceProfile a = profile(1);
    monitor.reset(a);
    assertEquals(List.of("label-shift-chi2", "confidence-ks"), monitor.detectors().stream().map(OnlineDriftDetector::name).toList());
    ThresholdCalibration first = monitor.detectors().get(0).calibration();
    SplittableRandom rnd = new SplittableRandom(4);
    for (int i = 0; i < 100; i++) {
      monitor.observe(observation(rnd, i, 0));
    }
    monitor.reset(profile(9));
    assertEquals(0, monitor.samplesSeen());
    assertEquals(0, monitor.detectors().get(0).samplesSeen());
    monitor.reset(a);
    assertSame(first, monitor.detectors().get(0).calibration());
  }

  @Test
  void observationsWithoutEmbeddingsSkipTheMmdDetector() {
    DriftMonitor monitor = new DriftMonitor(CONFIG.withDisabled(Set.of("bbsd-ks", "label-shift-chi2", "confidence-ks")));
    monitor.reset(profile(1));
    monitor.observe(Observation.of("x", new float[] {0.8f, 0.1f, 0.1f}));
    assertEquals(0, monitor.detectors().get(0).samplesSeen());
    assertEquals(1, monitor.samplesSeen());
  }

  @Test
  void refusesPredictionsBeforeAReferenceAndBadConfig() {
    assertThrows(IllegalStateException.class,
        () -> new DriftMonitor(CONFIG).observe(Observation.of("x", new float[] {1f, 0f})));
    var e = assertThrows(IllegalArgumentException.class, () -> CONFIG.withErt(0.5));
    assertTrue(e.getMessage().contains("ertSamples"));
    assertNull(Observation.of("x", new float[] {0.2f, 0.8f}).embedding());
    assertEquals(1, Observation.of("x", new float[] {0.2f, 0.8f}).predicted());
  }
}
