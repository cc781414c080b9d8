package dev.osprey.trainer.service;

import static dev.osprey.trainer.service.TrainerFixture.MODEL;
import static dev.osprey.trainer.service.TrainerFixture.last;
import static dev.osprey.trainer.service.TrainerFixture.produceDrift;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.ChildJvm;
import dev.osprey.broker.CommittedReader;
import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.RunTransition;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.Verification;
import dev.osprey.trainer.service.TrainerFixture.Setup;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills (SIGKILL) a trainer running in a JVM of its own ({@link TrainerProcessMain}) in the middle
 * of a run, once while it trains and once while it publishes, then starts another trainer on the
 * same run log, transactional id and registry, and checks what issue 12 asks: the run completes
 * (the restart is attempt 2 of the same run id), the registry holds no partial version (every
 * version verifies, the killed publisher's staging directory is gone) and exactly one new version,
 * and the candidate is activated at most once.
 *
 * <p>Kill points, deterministic (the child is held there by test seams, see
 * {@link TrainerProcessMain}): during training, after epoch 1 of 2 of the fine-tuning (the run log's
 * last committed record is then TRAINING, attempt 1); during publishing, inside
 * {@link ModelRegistry#publish} with the version's files in its staging directory and no manifest.
 * The run id, and with it the data plan and the training seed, is a function of the trigger only.
 */
class TrainerKillRestartIT {
  static {
    DjlOfflineGuard.install();
    System.setProperty("ai.djl.pytorch.num_threads", "2");
  }

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  /** The child trainer's heap: about 33 MiB are live at the kill points (printed); the network lives in native memory. */
  private static final String CHILD_HEAP = "-Xmx128m";

  private static Path models;

  @TempDir static Path shared;
  @TempDir Path dir;

  @BeforeAll
  static void trainModels() throws Exception {
    models = TrainerFixture.trainModels(shared);
  }

  @Test
  void sigkillWhileTrainingThenRestartTrainsAgainPublishesOneVersionAndActivatesItOnce() throws Exception {
    killAndRestart("training", "hold-training", (child, s) -> {
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(50))
          .until(() -> child.log().contains(TrainerProcessMain.TRAINING));
      return "after epoch 1 of 2 of the fine-tuning";
    }, (child, s) -> {
      assertTrue(child.log().contains(TrainerProcessMain.TRAINING) && child.log().contains(" epoch 1/2: loss "), child.log());
      assertFalse(child.log().contains("export fp32 ONNX"), "killed before training ended:\n" + child.log());
      assertEquals(List.of(1), s.registry.versions(MODEL), "nothing published by the killed attempt");
    });
  }

  @Test
  void sigkillWhilePublishingThenRestartLeavesNoPartialVersionAndActivatesOnce() throws Exception {
    killAndRestart("publishing", "hold-publish", (child, s) -> {
      await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(20))
          .until(() -> child.log().contains(TrainerProcessMain.PUBLISHING));
      return "inside ModelRegistry.publish: files staged, manifest not written";
    }, (child, s) -> {
      ModelRegistry registry = s.registry;
      assertEquals(List.of(1), registry.versions(MODEL), "the half-published version is invisible");
      List<Path> staging = staging(registry);
      assertEquals(1, staging.size(), "the killed publisher's staging directory: " + staging);
      try (Stream<Path> files = Files.list(staging.get(0))) {
        List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
        assertTrue(names.size() >= 3, "the version's files were staged: " + names);
        assertFalse(names.contains(ModelRegistry.MANIFEST_FILE), "no manifest yet: " + names);
      }
    });
  }

  /** Waits for the kill point; returns its description. */
  @FunctionalInterface
  private interface KillPoint {
    String await(ChildJvm child, Setup s) throws Exception;
  }

  /** Checks what the killed trainer left. */
  @FunctionalInterface
  private interface AfterKill {
    void check(ChildJvm child, Setup s) throws Exception;
  }

  private void killAndRestart(String prefix, String mode, KillPoint killPoint, AfterKill afterKill) throws Exception {
    long t0 = System.nanoTime();
    Setup s = new Setup(KAFKA, prefix, models, dir);
    produceDrift(s, 0.0);
    Deserializer<RunTransition> runs = s.topics.runs().valueSerde().deserializer();
    String runId;
    try (CommittedReader runLog = new CommittedReader(KAFKA.clientProperties(), s.topics.runs().name());
        ChildJvm child = ChildJvm.start(TrainerProcessMain.class, dir.resolve("trainer-" + prefix + ".log"), "READY",
            Duration.ofMinutes(2), List.of(CHILD_HEAP), KAFKA.bootstrapServers(), s.topics.prefix(), s.registry.root().toString(),
            dir.toString(), mode)) {
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(50)).until(() -> runLog.poll() > 0
          && runs.deserialize(null, last(runLog.records()).value()).phase() == RunPhase.TRAINING);
      String point = killPoint.await(child, s);
      child.kill();
      runLog.poll();
      RunTransition atKill = runs.deserialize(null, last(runLog.records()).value());
      runId = atKill.runId();
      System.out.printf("trainer (%s): SIGKILL %s (run %s, attempt %d, last committed step %s), %.1f s after the start%n",
          CHILD_HEAP, point, runId, atKill.attempt(), atKill.phase(), (System.nanoTime() - t0) / 1e9);
      assertEquals(RunPhase.TRAINING, atKill.phase(), "killed during the run's TRAINING step");
      assertEquals(1, atKill.attempt());
      System.out.println("trainer: " + child.log().lines().filter(l -> l.startsWith("heap in use")).findFirst().orElse("?"));
      afterKill.check(child, s);
    }

    long r0 = System.nanoTime();
    try (TrainerService second = s.service(new SimpleMeterRegistry(), RunHooks.NONE)) {
      second.start();
      await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(200)).until(() -> {
        RunTransition latest = last(s.read(s.topics.runs()));
        return latest.phase() == RunPhase.ACTIVATED || latest.isTerminal();
      });
    }
    List<RunTransition> log = s.read(s.topics.runs());
    RunTransition done = last(log);
    System.out.printf("trainer: restarted, run %s ended in %s after %.1f s (%.1f s in all)%n", done.runId(), done.phase(),
        (System.nanoTime() - r0) / 1e9, (System.nanoTime() - t0) / 1e9);

    // the run completes, as its second attempt under the same id
    assertEquals(List.of(runId), log.stream().map(RunTransition::runId).distinct().toList(), "one run");
    assertEquals(RunPhase.ACTIVATED, done.phase(), "the run completes: " + done.reason() + " "
        + (done.gate() == null ? "" : done.gate().summary()));
    assertTrue(done.gate().passed(), done.gate().summary());
    assertEquals(2, done.attempt(), "the restart is the run's second attempt");
    assertEquals(List.of(1, 2), log.stream().filter(t -> t.phase() == RunPhase.TRAINING).map(RunTransition::attempt).toList(),
        "each attempt's TRAINING step is in the run log");
    Map<String, Long> activatedPerRun = log.stream().filter(t -> t.phase() == RunPhase.ACTIVATED)
        .collect(Collectors.groupingBy(RunTransition::runId, Collectors.counting()));
    assertEquals(Map.of(runId, 1L), activatedPerRun, "one ACTIVATED step");

    // one activation by the trainer, of the run's one new version
    List<ModelActivation> activations = s.read(s.topics.models());
    assertEquals(List.of(1, 2), activations.stream().map(ModelActivation::version).toList(), "setup's v1, then the run's v2");
    assertEquals(1, activations.stream().filter(a -> a.actor().equals(TrainerConfig.ACTOR)).count());

    // no partial version: exactly one new version, every version verifies, no staging left behind
    assertEquals(List.of(1, 2), s.registry.versions(MODEL));
    assertEquals(done.candidateVersion(), 2);
    assertEquals(runId, s.registry.manifest(MODEL, 2).architecture().hyperparameters().get(CandidateTraining.MANIFEST_RUN_ID));
    List<String> problems = new ArrayList<>();
    s.registry.list().forEach(ref -> {
      Verification v = s.registry.verify(ref.name(), ref.version());
      problems.addAll(v.problems().stream().map(p -> ref + ": " + p).toList());
      assertTrue(v.filesChecked() > 0, ref + " has files");
    });
    assertEquals(List.of(), problems, "every version verifies");
    assertEquals(List.of(), staging(s.registry), "no staging directory left");
  }

  private static List<Path> staging(ModelRegistry registry) throws IOException {
    try (Stream<Path> entries = Files.list(registry.root())) {
      return entries.filter(p -> Files.isDirectory(p) && p.getFileName().toString().startsWith(".staging-")).toList();
    }
  }

}
