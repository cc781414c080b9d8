package dev.osprey.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.cli.prometheus.DashboardExpressions;
import dev.osprey.cli.prometheus.PrometheusProcess;
import dev.osprey.core.data.Datasets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the README's `bin/osprey demo` steps, smaller, and checks the report's numbers. */
class DemoIT {
  static {
    dev.osprey.core.djl.DjlOfflineGuard.install();
  }

  private static final Path DASHBOARDS = Path.of("..", "dashboards");

  private static List<Path> ruleFiles() throws IOException {
    try (var files = Files.list(DASHBOARDS.resolve("prometheus"))) {
      return files.filter(f -> f.toString().endsWith(".yml") && !f.getFileName().toString().equals("prometheus.yml"))
          .filter(f -> !f.getFileName().toString().matches(".*[-_]test\\.yml")).sorted().toList();
    }
  }

  /**
   * Every panel of every Grafana dashboard and every alert rule, asked of the real Prometheus that
   * scraped the demo: each returns data (alerts with their threshold turned into a bool comparison,
   * so a quiet alert still shows its series exist).
   */
  private static void everyDashboardAndAlertExpressionReturnsData(PrometheusProcess prometheus) throws Exception {
    List<DashboardExpressions.Expression> all = new ArrayList<>(DashboardExpressions.dashboards(DASHBOARDS.resolve("grafana/dashboards")));
    for (Path rules : ruleFiles()) {
      for (DashboardExpressions.Expression e : DashboardExpressions.rules(rules)) {
        all.add(new DashboardExpressions.Expression(e.source(), DashboardExpressions.withoutFilter(e.expr())));
      }
    }
    // The default demo runs no trainer (the loop is --scenario drift): the retraining dashboard and
    // the trainer's alerts are checked against a real scrape of the trainer's metrics and promtool by
    // TrainerDashboardTest instead. Removed after the rules are added, so the alerts go too.
    all.removeIf(e -> e.source().startsWith("osprey-retraining.json") || e.source().contains("/ OspreyTrainer"));
    assertTrue(all.size() > 20, "expressions found: " + all.size());
    List<String> empty = new ArrayList<>();
    // rates need two scrapes after the traffic: retry the empty ones for a while
    try {
      Awaitility.await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        empty.clear();
        for (DashboardExpressions.Expression e : all) {
          if (prometheus.query(e.expr()).isEmpty()) {
            empty.add(e.source() + ": " + e.expr());
          }
        }
        return empty.isEmpty();
      });
    } catch (ConditionTimeoutException timeout) {
      // the list below says which
    }
    assertEquals(List.of(), empty, "expressions without data; targets: " + prometheus.targets());
  }

  @Test
  void demoStepsDeliverEveryRecordExactlyOnce(@TempDir Path work) throws Exception {
    PrometheusProcess prometheus = null;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    var options = new Demo.Options("fixture:test", 1500, 120, 0.2, 0, 7L, work, work.resolve("registry"), Duration.ofMinutes(3),
        "rotate:30@750");
    try (Demo demo = new Demo(options, new Datasets(work), out)) {
      assertTrue(demo.startBroker().startsWith("127.0.0.1:"));
      var model = demo.ensureModel();
      assertEquals(1, model.manifest().version());
      demo.startIngest();
      demo.startMonitor();
      demo.startExplain();
      assertEquals(model.ref(), demo.startInference().ref());
      // A real Prometheus scrapes the services while the demo runs (skipped where the binary is absent).
      prometheus = PrometheusProcess.available()
          ? PrometheusProcess.start(Files.createDirectories(work.resolve("prometheus")), demo.metricsTargets(), ruleFiles())
          : null;
      String driftAlert = "ALERTS{alertname=\"OspreyDriftDetected\",alertstate=\"firing\"}";
      if (prometheus != null) {
        assertEquals(0, prometheus.query(driftAlert).size(), "no drift alert before the replay");
      }
      var sent = demo.replay();
      assertEquals(1500, sent.samples());
      assertEquals(120, sent.junkTotal());
      var got = demo.awaitArrivals(sent);
      assertEquals(1500, got.samples());
      assertEquals(1500, got.distinctSampleIds());
      assertEquals(sent.feedback(), got.feedback());
      assertTrue(sent.feedback() > 200 && sent.feedback() < 400, "about 20% labeled: " + sent.feedback());
      assertEquals(120, got.dlq());
      assertEquals(1500, got.predictions().predictions(), "exactly one prediction per sample");
      assertEquals(1500, got.predictions().distinctIds());
      assertEquals(java.util.Map.of("digits:1", 1500), got.predictions().versions());
      assertEquals(sent.feedback(), got.predictions().labelled());
      DriftSummary drift = demo.awaitDriftReport(sent);
      var flagged = drift.firstAlarmAfterOnset();
      assertTrue(flagged.isPresent(), "the monitor flags rotate:30 from sample 750: " + buf.toString(StandardCharsets.UTF_8));
      // flagged while the drifted half was still arriving (the delay figures per detector are the
      // offline benchmark's, docs/benchmarks.md: here the monitor sees partitions interleaved)
      assertTrue(flagged.get().samplesSeen() < 1500, "flagged before the replay ended: " + flagged.get());
      java.util.regex.Matcher calls = java.util.regex.Pattern.compile(
          "inference: (\\d+) model calls of ([\\d.]+) samples on average, [\\d.]+ ms each; the model thread was on a core "
              + "(\\d+)% of that time").matcher(buf.toString(StandardCharsets.UTF_8));
      assertTrue(calls.find(), "the inference summary: " + buf.toString(StandardCharsets.UTF_8));
      // 1,500 samples in calls of at most 64 (and at least one per sample), on a core for part of their time
      assertTrue(Integer.parseInt(calls.group(1)) >= 1500 / 64 && Integer.parseInt(calls.group(1)) <= 1500, calls.group());
      assertTrue(Double.parseDouble(calls.group(2)) >= 1 && Double.parseDouble(calls.group(2)) <= 64, calls.group());
      assertTrue(Integer.parseInt(calls.group(3)) > 0 && Integer.parseInt(calls.group(3)) <= 100, calls.group());
      var timeline = demo.writeTimeline();
      assertEquals(1500, timeline.predictions(), "the timeline covers every prediction");
      // in stream order, not partition by partition: accuracy is high before the rotation, lower after
      double clean = timeline.realizedAccuracy().stream().filter(p -> p.index() < 740)
          .mapToDouble(p -> p.value()).average().orElse(Double.NaN);
      double rotated = timeline.realizedAccuracy().stream().filter(p -> p.index() >= 1300)
          .mapToDouble(p -> p.value()).average().orElse(Double.NaN);
      assertTrue(clean > rotated + 0.05, "timeline accuracy before the drift " + clean + ", late in it " + rotated);
      var image = javax.imageio.ImageIO.read(demo.timelinePng().toFile());
      assertTrue(image != null && image.getWidth() >= 800 && Files.size(demo.timelinePng()) > 20_000,
          "a PNG timeline: " + demo.timelinePng());
      // online accuracy on the ~150 labelled clean test images vs the manifest's figure on the same set
      assertTrue(drift.accuracyBefore() > 0.9, "online accuracy before the drift: " + drift);
      assertTrue(drift.accuracyAfter() < drift.accuracyBefore(), "rotation costs accuracy: " + drift);
      assertTrue(demo.explanationCounts().values().stream().mapToDouble(Double::doubleValue).sum() > 0,
          "explanations written: " + demo.explanationCounts());
      try (var pngs = Files.list(demo.heatmapDir())) {
        assertTrue(pngs.anyMatch(f -> f.toString().endsWith(".png")), "heatmaps in " + demo.heatmapDir());
      }
      assertTrue(demo.report(sent, got), buf.toString(StandardCharsets.UTF_8));
      String metrics = demo.scrape();
      assertTrue(metrics.contains("osprey_ingest_records_validated_total"), metrics);
      assertTrue(metrics.contains("osprey_inference_"), metrics);
      if (prometheus != null) {
        everyDashboardAndAlertExpressionReturnsData(prometheus);
        PrometheusProcess p = prometheus;
        Awaitility.await("the drift alert fires after the drift").atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofSeconds(1)).until(() -> p.query(driftAlert).size() > 0);
      }
    } finally {
      if (prometheus != null) {
        prometheus.close();
      }
    }
    String report = buf.toString(StandardCharsets.UTF_8);
    assertTrue(report.contains("OK: every sample validated and predicted exactly once"), report);
  }
}
