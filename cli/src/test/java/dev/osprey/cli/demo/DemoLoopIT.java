package dev.osprey.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.RunTransition;
import dev.osprey.model.registry.ModelRegistry;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The closed loop of {@code osprey demo --scenario drift}, smaller: clean digits, a rotation, 20%
 * labels 100 samples late; the monitor flags the drift, the trainer fine-tunes, the gate passes,
 * the model is swapped under load and accuracy on the drifted stream recovers; every sample is
 * predicted exactly once (read_committed). DemoIT checks the Prometheus side of the services; the
 * trainer's dashboard and alerts are checked by TrainerDashboardTest.
 */
class DemoLoopIT {
  static {
    dev.osprey.core.djl.DjlOfflineGuard.install();
  }

  @Test
  void theLoopSwapsInAFineTunedModelUnderLoadAndAccuracyRecovers(@TempDir Path work) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    // the report in the buffer for the asserts, and on stdout as it happens
    PrintStream out = new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        buf.write(b);
        System.out.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        buf.write(b, off, len);
        System.out.write(b, off, len);
      }
    }, true, StandardCharsets.UTF_8);
    LoopScenario loop = new LoopScenario(400, 800, 5, "fine-tune", "fixture:train", "fixture:test");
    var options = new Demo.Options("fixture:test", 30_000, 40, 0.2, 60, 7L, work, work.resolve("registry"), Duration.ofMinutes(3),
        "rotate:30@750", loop);
    // a quicker model than the demo's (DemoIT trains that one): the loop only needs a working v1 and its teacher
    new DemoModel(new ModelRegistry(options.registryDir()), new Datasets(work), out, new DemoModel.Budget(4000, 1, 2))
        .ensure(Demo.MODEL);
    try (Demo demo = new Demo(options, new Datasets(work), out)) {
      demo.startBroker();
      var model = demo.ensureModel();
      int before = model.manifest().version();
      demo.startIngest();
      demo.startMonitor();
      demo.startExplain();
      demo.startInference();
      demo.startTrainer();
      assertEquals(5, demo.metricsTargets().size(), "the trainer has its own /metrics target: " + demo.metricsTargets());
      var sent = demo.replay();
      var got = demo.awaitArrivals(sent);
      var drift = demo.awaitDriftReport(sent);
      assertTrue(drift.firstAlarmAfterOnset().isPresent(), "the monitor flags the rotation");
      LoopSummary summary = demo.awaitLoop(sent, drift, before);
      String report = buf.toString(StandardCharsets.UTF_8);

      RunTransition run = summary.activatedRun().orElseThrow(() -> new AssertionError("no run was activated:\n" + report));
      assertEquals(before, run.championVersion());
      assertEquals("fine-tune", run.strategy().strategy().label());
      assertTrue(run.gate().passed(), run.gate().summary());
      assertEquals(run.candidateVersion().intValue(), summary.servedAfter(), "the served version changed to the candidate");
      assertTrue(summary.servedAfter() != before);
      // both versions predicted, every sample once: the swap happened under load
      assertEquals(sent.samples(), got.predictions().predictions(), "exactly one prediction per sample");
      assertEquals(sent.samples(), got.predictions().distinctIds());
      Map<String, Integer> byVersion = got.predictions().versions();
      assertEquals(2, byVersion.size(), "predictions by version: " + byVersion);
      assertTrue(summary.afterSwap().labelled() >= 100, "labelled after the swap: " + summary.afterSwap());
      assertTrue(summary.duringDrift().labelled() >= 100, "labelled during the drift: " + summary.duringDrift());
      assertTrue(summary.afterSwap().value() > summary.duringDrift().value() + 0.05,
          "accuracy on the drifted stream recovers after the swap: " + summary.afterSwap() + " vs " + summary.duringDrift());
      assertTrue(summary.clean().value() > summary.duringDrift().value(), "the rotation cost accuracy first");
      assertTrue(report.contains("the monitor flags it: "), report);
      assertTrue(report.contains("activated digits:" + summary.servedAfter()), report);
      assertTrue(run.phaseTimes().keySet().containsAll(java.util.List.of(RunPhase.TRIGGERED, RunPhase.TRAINING,
          RunPhase.PUBLISHED, RunPhase.GATED, RunPhase.ACTIVATED)), run.phaseTimes().toString());
      assertTrue(demo.report(sent, got), report);
      String scrape = demo.scrape();
      assertTrue(scrape.contains("osprey_trainer_serving_version") && scrape.contains("osprey_trainer_gate_passed"),
          "the trainer's meters are in the demo's scrape");
    }
    String report = buf.toString(StandardCharsets.UTF_8);
    assertTrue(report.contains("OK: every sample validated and predicted exactly once"), report);
  }
}
