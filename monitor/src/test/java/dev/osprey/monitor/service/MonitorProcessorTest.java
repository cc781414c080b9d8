package dev.osprey.monitor.service;

import static dev.osprey.monitor.service.MonitorFixtures.MODEL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.DriftReport;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.monitor.quality.QualitySnapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitorProcessorTest {
  private static final int DRIFT_AT = 1_000;
  private static final int N = 1_600;

  @TempDir static Path dir;
  private static ModelRegistry registry;
  private static ReferenceCatalog catalog;

  @BeforeAll
  static void publish() throws Exception {
    registry = MonitorFixtures.registry(dir.resolve("registry"));
    catalog = new ReferenceCatalog(registry, MonitorFixtures.settings().drift());
  }

  /** Feeds predictions {@code from..to} and, for every second one, its outcome. */
  private static List<DriftReport> feed(MonitorProcessor p, List<MonitorFixtures.Scored> replay, int from, int to) {
    List<DriftReport> reports = new ArrayList<>();
    for (int i = from; i < to; i++) {
      MonitorFixtures.Scored s = replay.get(i);
      reports.addAll(p.onPrediction(s.prediction(), 0, i));
      if (i % 2 == 0) {
        p.onOutcome(s.outcome(1_000));
      }
    }
    return reports;
  }

  @Test
  void alarmsComeAfterTheDriftOnlyAndQualityEqualsTheOfflineFigures() {
    List<MonitorFixtures.Scored> replay = MonitorFixtures.replay(0, N, DRIFT_AT, 1, 5);
    MonitorProcessor p = new MonitorProcessor(MonitorFixtures.settings(), catalog);
    List<DriftReport> reports = feed(p, replay, 0, N);

    assertFalse(reports.isEmpty(), "the drift must be flagged");
    DriftReport first = reports.get(0);
    assertEquals(DriftReport.State.ALARM, first.state());
    assertEquals(MODEL, first.modelName());
    assertEquals(1, first.modelVersion());
    assertTrue(first.samplesSeen() > DRIFT_AT, "alarm before the drift: " + first);
    assertTrue(first.samplesSeen() - DRIFT_AT <= 200, "late alarm: " + first);
    assertNotNull(first.onsetSampleId());
    int onset = Integer.parseInt(first.onsetSampleId().substring(2));
    assertEquals(Map.of("0", (long) onset), first.onsetOffsets());
    assertTrue(Math.abs(onset - DRIFT_AT) <= 100, "onset " + onset);

    MonitorView.Model m = p.view().models().get(0);
    assertEquals(1, m.driftVersion());
    MonitorView.Version v = m.versions().get(0);
    long labeled = 0;
    long correct = 0;
    long[] predicted = new long[MonitorFixtures.CLASSES];
    for (int i = 0; i < N; i++) {
      MonitorFixtures.Scored s = replay.get(i);
      predicted[s.prediction().label()]++;
      if (i % 2 == 0) {
        labeled++;
        correct += s.prediction().label() == s.actual() ? 1 : 0;
      }
    }
    assertEquals(labeled, v.total().labeled());
    assertEquals((double) correct / labeled, v.total().accuracy(), 0.0); // exact
    assertEquals(correct, v.correct());
    assertEquals(labeled - correct, v.incorrect());
    assertEquals(0.5, v.total().coverage(), 0.0);
    assertEquals(1.0, v.total().meanDelayMillis() / 1000, 1e-12);
    assertEquals(List.of(predicted[0], predicted[1], predicted[2]),
        List.of(v.predictedClasses()[0], v.predictedClasses()[1], v.predictedClasses()[2]));
    long alarms = reports.stream().filter(r -> r.state() == DriftReport.State.ALARM).count();
    assertEquals(alarms, m.alarms().values().stream().mapToLong(Long::longValue).sum());
    // CBPE sees the drop without labels: last window estimate below the clean one
    assertTrue(v.estimatedAccuracy() < 0.8, "estimated accuracy " + v.estimatedAccuracy());
  }

  @Test
  void aRestoredProcessorContinuesExactlyAsAnUninterruptedOne() {
    List<MonitorFixtures.Scored> replay = MonitorFixtures.replay(0, N, DRIFT_AT, 1, 6);
    MonitorProcessor whole = new MonitorProcessor(MonitorFixtures.settings(), catalog);
    List<DriftReport> expected = feed(whole, replay, 0, N);

    MonitorStateCodec codec = new MonitorStateCodec();
    List<DriftReport> got = new ArrayList<>();
    MonitorProcessor before = new MonitorProcessor(MonitorFixtures.settings(), catalog);
    int cut = DRIFT_AT + 30; // mid-window, possibly mid-alarm
    got.addAll(feed(before, replay, 0, cut));
    List<ModelStream.State> saved = new ArrayList<>();
    for (ModelStream.State s : before.dirtyStates().values()) {
      byte[] bytes = codec.encode(s);
      System.out.println("saved state of " + s.model() + ": " + bytes.length + " bytes");
      assertTrue(bytes.length < 100_000, bytes.length + " bytes");
      saved.add(codec.decode(bytes));
    }
    // a new catalog: the thresholds are calibrated again (seeded) as after a process restart
    MonitorProcessor after = new MonitorProcessor(MonitorFixtures.settings(),
        new ReferenceCatalog(registry, MonitorFixtures.settings().drift()));
    after.restore(saved);
    got.addAll(feed(after, replay, cut, N));

    assertEquals(expected, got);
    MonitorView.Version a = whole.view().models().get(0).versions().get(0);
    MonitorView.Version b = after.view().models().get(0).versions().get(0);
    assertSame(a.total(), b.total());
    assertSame(a.lastN(), b.lastN());
    assertSame(a.lastTime(), b.lastTime());
    assertEquals(a.estimatedAccuracy(), b.estimatedAccuracy(), 0.0);
    assertEquals(whole.view().models().get(0).alarms(), after.view().models().get(0).alarms());
  }

  private static void assertSame(QualitySnapshot a, QualitySnapshot b) {
    assertEquals(a.labeled(), b.labeled());
    assertEquals(a.accuracy(), b.accuracy(), 0.0);
    assertArrayEquals(a.recall(), b.recall(), 0.0);
    assertEquals(a.ece(), b.ece(), 0.0);
    assertEquals(a.logLoss(), b.logLoss(), 0.0);
    assertEquals(a.coverage(), b.coverage(), 0.0);
    assertEquals(a.meanDelayMillis(), b.meanDelayMillis(), 0.0);
  }

  @Test
  void aNewVersionResetsTheDetectorsAndStragglersOfTheOldOneAreSkipped() {
    MonitorProcessor p = new MonitorProcessor(MonitorFixtures.settings(), catalog);
    List<MonitorFixtures.Scored> v1 = MonitorFixtures.replay(0, 300, Integer.MAX_VALUE, 1, 7);
    List<MonitorFixtures.Scored> v2 = MonitorFixtures.replay(300, 300, Integer.MAX_VALUE, 2, 8);
    feed(p, v1, 0, 300);
    feed(p, v2, 0, 10);
    feed(p, v1, 290, 300); // stragglers of version 1
    feed(p, v2, 10, 300);
    MonitorView.Model m = p.view().models().get(0);
    assertEquals(2, m.driftVersion());
    assertEquals(2, m.versions().size());
    // quality counts the stragglers under their own version; the detectors saw version 2 only
    assertEquals(155, m.versions().get(0).total().labeled());
    assertEquals(310, java.util.Arrays.stream(m.versions().get(0).predictedClasses()).sum());
    assertEquals(300, java.util.Arrays.stream(m.versions().get(1).predictedClasses()).sum());
    assertEquals(300, m.driftSamples());
  }
}
