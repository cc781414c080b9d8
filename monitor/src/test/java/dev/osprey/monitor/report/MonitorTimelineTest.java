package dev.osprey.monitor.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.RunRequest;
import dev.osprey.core.event.RunTransition;
import dev.osprey.core.event.TriggerKind;
import dev.osprey.model.registry.CalibrationMap;
import dev.osprey.monitor.report.MonitorTimeline.AlarmSpan;
import dev.osprey.monitor.report.MonitorTimeline.Point;
import dev.osprey.monitor.report.MonitorTimeline.RunMark;
import dev.osprey.monitor.report.MonitorTimeline.VersionSpan;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A synthetic stream of 1,000 predictions of "digits": version 1 until index 599, version 2 from
 * 600; confidence 0.9 before index 400 and 0.6 from it; an outcome for every even index, right
 * before 400 and from then on only at multiples of 4; drift reports and run steps at known times
 * (prediction i is made at 1000 + i ms).
 */
class MonitorTimelineTest {
  static final CalibrationMap V2 = new CalibrationMap(new double[] {0.5, 1.0}, new double[] {0.2, 0.7});

  static MonitorTimeline timeline() {
    MonitorTimeline.Builder b = MonitorTimeline.builder("digits").optAccuracyWindow(100).optStep(10)
        .optCbpe(v -> v == 2 ? V2 : CalibrationMap.identity());
    for (int i = 0; i < 1000; i++) {
      float c = i < 400 ? 0.9f : 0.6f;
      float rest = (1 - c) / 2;
      b.prediction(new Prediction(1, "s" + i, "digits", i < 600 ? 1 : 2, 0, "0", c, List.of(c, rest, rest), null,
          "onnx-cpu", "int8", 1000 + i - 3, 1000 + i));
      if (i % 250 == 0) {
        b.prediction(new Prediction(1, "other" + i, "letters", 1, 0, "a", 0.1f, List.of(), null, "onnx-cpu", "int8", 0, 1000 + i));
      }
    }
    for (int i = 998; i >= 0; i -= 2) { // any order
      boolean correct = i < 400 || i % 4 == 0;
      b.outcome(new Outcome(1, "s" + i, "digits", i < 600 ? 1 : 2, 0, correct ? 0 : 1, correct, 0.9f, 0.5f, null,
          "replay", 1000 + i, 2000 + i, 1000, 2000 + i));
    }
    b.outcome(new Outcome(1, "never-predicted", "digits", 1, 0, 0, true, 0.9f, 0.9f, null, "replay", 0, 1, 1, 1));
    b.drift(report("bbsd-ks", 1, DriftReport.State.ALARM, 1000 + 420, "s400", 0.30, 0.17));
    b.drift(report("bbsd-ks", 1, DriftReport.State.CLEAR, 1000 + 599, null, 0.10, 0.17));
    b.drift(report("input-ks", 2, DriftReport.State.ALARM, 1000 + 900, "s880", 0.25, 0.16));
    RunRequest request = new RunRequest("r1", TriggerKind.values()[0], "a", "drift", 1450, Set.of(), Map.of());
    b.run(new RunTransition(1, "r1", 5, RunPhase.ACTIVATED, "digits", 1, request, null, 1, 2, null, null, Map.of(), 1000 + 600));
    b.run(new RunTransition(1, "r1", 1, RunPhase.TRIGGERED, "digits", 1, request, null, 0, null, null, "drift", Map.of(), 1000 + 450));
    b.run(new RunTransition(1, "r1", 2, RunPhase.TRIGGERED, "letters", 1, request, null, 0, null, null, "x", Map.of(), 1000 + 450));
    return b.build();
  }

  static DriftReport report(String detector, int version, DriftReport.State state, long ts, String onset, double stat, double threshold) {
    return new DriftReport(1, detector + state + ts, "digits", version, detector, state, stat, threshold, 200, 10_000, 50,
        onset, Map.of(), Map.of(), ts);
  }

  @Test
  void seriesFromSyntheticEvents() {
    MonitorTimeline t = timeline();
    assertEquals(1000, t.predictions(), "the other model's predictions are not counted");
    assertEquals(List.of(new VersionSpan(1, 0, 599), new VersionSpan(2, 600, 999)), t.versions());

    // realized: 500 outcomes at even indices, window 100, a point every 10th outcome and the last
    List<Point> realized = t.realizedAccuracy();
    assertEquals(51, realized.size());
    assertEquals(new Point(0, 1.0), realized.get(0));
    assertEquals(new Point(400, 1.0), realized.get(20), "ordinals 101..200 = indices 202..400: 400 is a multiple of 4");
    // index 500: indices 302..500; 49 right before 400, 26 multiples of 4 in 400..500 -> 75/100
    assertEquals(new Point(500, 0.75), realized.get(25));
    assertEquals(new Point(600, 0.5), realized.get(30));
    assertEquals(new Point(998, 0.5), realized.get(50));

    // estimated: window 100 predictions, identity for version 1, V2 (0.6 -> 0.3) for version 2
    List<Point> estimated = t.estimatedAccuracy();
    assertEquals(100, estimated.size());
    assertEquals(0.9, estimated.get(39).value(), 1e-6, "index 390");
    assertEquals(500, estimated.get(50).index());
    assertEquals(0.6, estimated.get(50).value(), 1e-6);
    // index 650: 49 predictions of version 1 at 0.6, 51 of version 2 at 0.3
    assertEquals(650, estimated.get(65).index());
    assertEquals((49 * 0.6 + 51 * 0.3) / 100, estimated.get(65).value(), 1e-6);
    assertEquals(0.3, estimated.get(99).value(), 1e-6);

    assertEquals(List.of(
        new AlarmSpan("bbsd-ks", 1, 420, 599, 400, 0.30, 0.17),
        new AlarmSpan("input-ks", 2, 900, -1, 880, 0.25, 0.16)), t.alarms());
    assertEquals(List.of("bbsd-ks", "input-ks"), t.detectors());
    assertEquals(List.of(new RunMark(450, "r1", RunPhase.TRIGGERED, 1), new RunMark(600, "r1", RunPhase.ACTIVATED, 2)), t.runs());
    assertTrue(t.scores().isEmpty(), "no detector source: no recomputed scores");
  }

  @Test
  void writesAPngThatDecodesAtTheExpectedSize(@TempDir Path dir) throws Exception {
    Path png = TimelineChart.write(timeline(), dir.resolve("report/timeline.png"));
    long bytes = Files.size(png);
    assertTrue(bytes > 20_000 && bytes < 2_000_000, "a plausible PNG size: " + bytes);
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(TimelineChart.WIDTH, image.getWidth());
    assertEquals(TimelineChart.PANELS * TimelineChart.PANEL_HEIGHT, image.getHeight());
    assertEquals(1200, image.getWidth());
    assertEquals(1200, image.getHeight());
  }

  @Test
  void anEmptyTimelineStillRenders(@TempDir Path dir) throws Exception {
    Path png = TimelineChart.write(MonitorTimeline.builder("digits").build(), dir.resolve("empty.png"));
    assertEquals(1200, ImageIO.read(png.toFile()).getHeight());
  }
}
