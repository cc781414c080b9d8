package dev.osprey.trainer.service;

import static dev.osprey.trainer.service.TrainerFixture.MODEL;
import static dev.osprey.trainer.service.TrainerFixture.last;
import static dev.osprey.trainer.service.TrainerFixture.produceDrift;
import static dev.osprey.trainer.service.TrainerFixture.produceOutcomes;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.RunTransition;
import dev.osprey.core.service.Health;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.trainer.ClassifierTrainer;
import dev.osprey.trainer.loop.StrategyConfig;
import dev.osprey.trainer.service.TrainerFixture.Setup;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The retraining loop on the embedded broker, on the committed MNIST fixture: a teacher and a
 * student distilled from it are published and the student activated; rotated digits arrive as
 * labels with a drift alarm. Honest labels: the trainer fine-tunes, the gate passes and the
 * candidate is activated by the trainer; a kill right after the activation and a restart do not
 * activate it again; poor online outcomes then roll it back. A kill during training: the next
 * start trains again (attempt 2 of the same run) and activates once. close() during training stops
 * it within a batch and publishes nothing. 30% flipped labels: the gate
 * refuses and says why. Re-distill: the teacher is adapted, a fresh student distilled from it beats
 * the champion on the held-out rotated digits and is gated, its lineage naming the published teacher.
 */
class TrainerServiceIT {
  static {
    DjlOfflineGuard.install();
    System.setProperty("ai.djl.pytorch.num_threads", "2");
  }

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  private static Path models;

  @TempDir static Path shared;
  @TempDir Path dir;

  /** A teacher and a student distilled from it, trained once for all tests. */
  @BeforeAll
  static void trainModels() throws Exception {
    models = TrainerFixture.trainModels(shared);
  }

  @Test
  void promotesOnHonestLabelsSurvivesAKillAfterActivatingAndRollsBackOnPoorOutcomes() throws Exception {
    Setup s = setup("honest");
    produceDrift(s, 0.0);
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // the first trainer dies right after its activation is committed, before it watches anything
    TrainerService first = s.service(meters, step -> {
      if (step.phase() == RunPhase.ACTIVATED) {
        throw new SimulatedCrash();
      }
    });
    first.start();
    await().atMost(Duration.ofMinutes(5)).until(() -> first.health().status() == Health.Status.DOWN);
    first.close();

    ModelActivation promotion = last(s.read(s.topics.models()));
    assertEquals(2, promotion.version());
    assertEquals(TrainerConfig.ACTOR, promotion.actor());
    assertTrue(promotion.reason().startsWith("gate passed: held-out "), promotion.reason());
    RunTransition activated = last(s.read(s.topics.runs()));
    assertEquals(RunPhase.ACTIVATED, activated.phase());
    assertEquals("fine-tune", activated.strategy().strategy().label());
    double candidate = activated.gate().figures().get("gate.heldOut.candidateAccuracy");
    double champion = activated.gate().figures().get("gate.heldOut.championAccuracy");
    assertTrue(candidate > champion + 0.05, "fine-tuning on rotated digits helps: " + candidate + " vs " + champion);
    ModelManifest m = s.registry.manifest(MODEL, 2);
    assertEquals(activated.gate().figures().get("gate.mcnemar.pBetter"), m.metric("gate.mcnemar.pBetter"), 0.0);
    assertEquals(1.0, m.metric("gate.passed"));
    assertEquals(activated.runId(), m.architecture().hyperparameters().get(CandidateTraining.MANIFEST_RUN_ID));
    assertEquals(List.of(ModelRef.of("teacher", 1)), m.lineage().teachers().stream().map(t -> t.model()).toList());

    // restart: the watch resumes, nothing is activated again; poor outcomes of v2 roll it back
    PrometheusMeterRegistry meters2 = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (TrainerService second = s.service(meters2, RunHooks.NONE)) {
      second.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> second.health().ready());
      produceOutcomes(s, 1, 100, 0.9, "champion");
      produceOutcomes(s, 2, 100, 0.6, "candidate");
      await().atMost(Duration.ofSeconds(60)).until(() -> last(s.read(s.topics.runs())).phase() == RunPhase.ROLLED_BACK);
    }
    List<ModelActivation> activations = s.read(s.topics.models());
    assertEquals(List.of(1, 2, 1), activations.stream().map(ModelActivation::version).toList(), "one activation per step");
    assertTrue(activations.get(2).reason().startsWith("rollback to v1: v2's online accuracy 0.6000 over 100 outcomes vs the "
        + "champion v1's 0.9000 over 100"), activations.get(2).reason());
    assertEquals(List.of(1, 2), s.registry.versions(MODEL), "one published candidate");
    RunTransition rolledBack = last(s.read(s.topics.runs()));
    assertEquals(activated.runId(), rolledBack.runId());
    assertEquals(List.of(RunPhase.TRIGGERED, RunPhase.TRAINING, RunPhase.PUBLISHED, RunPhase.GATED, RunPhase.ACTIVATED,
        RunPhase.ROLLED_BACK), List.copyOf(rolledBack.phaseTimes().keySet()));
    String scrape = meters2.scrape();
    assertTrue(scrape.contains("osprey_trainer_rollbacks_total 1.0"), scrape);
    assertTrue(scrape.contains("osprey_trainer_runs_total{outcome=\"rolled_back\",trigger=\"drift\"} 1.0"), scrape);
    assertTrue(meters.scrape().contains("osprey_trainer_gate_passed 1.0"), meters.scrape());
  }

  @Test
  void aKillDuringTrainingIsCarriedOnByTheNextStartWithOneVersionAndOneActivation() throws Exception {
    Setup s = setup("killed");
    produceDrift(s, 0.0);
    TrainerService first = s.service(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), step -> {
      if (step.phase() == RunPhase.TRAINING) {
        throw new SimulatedCrash();
      }
    });
    first.start();
    await().atMost(Duration.ofMinutes(2)).until(() -> first.health().status() == Health.Status.DOWN);
    first.close();
    assertEquals(RunPhase.TRAINING, last(s.read(s.topics.runs())).phase());
    assertEquals(List.of(1), s.registry.versions(MODEL), "nothing published by the killed attempt");

    try (TrainerService second = s.service(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), RunHooks.NONE)) {
      second.start();
      await().atMost(Duration.ofMinutes(2)).until(() -> last(s.read(s.topics.runs())).phase() == RunPhase.ACTIVATED);
    }
    RunTransition activated = last(s.read(s.topics.runs()));
    assertEquals(2, activated.attempt(), "the restart is the run's second attempt, under the same id");
    assertEquals(List.of(1, 2), s.read(s.topics.models()).stream().map(ModelActivation::version).toList());
    assertEquals(List.of(1, 2), s.registry.versions(MODEL));
    assertEquals(1, s.read(s.topics.runs()).stream().map(RunTransition::runId).distinct().count(), "one run");
  }

  @Test
  void closeDuringTrainingStopsItWithinABatchWaitsForTheWorkerAndPublishesNothing() throws Exception {
    Setup s = setup("closed");
    produceDrift(s, 0.0);
    TrainerService trainer = s.service(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), RunHooks.NONE);
    trainer.start();
    Thread worker = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
        .until(TrainerServiceIT::workerInsideTrainingLoop, Objects::nonNull);
    long t0 = System.nanoTime();
    trainer.close();
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertFalse(worker.isAlive(), "close() returned only after the run worker ended");
    assertTrue(seconds < 5, "close() stopped the training within a batch, not after its 60 s bound: " + seconds + " s");
    assertEquals(RunPhase.TRAINING, last(s.read(s.topics.runs())).phase(), "left for the next start to carry on");
    assertEquals(List.of(1), s.registry.versions(MODEL), "nothing published");
    assertEquals(List.of(1), s.read(s.topics.models()).stream().map(ModelActivation::version).toList());
  }

  /**
   * The trainer's run worker while it is inside a training step (backward pass or optimizer update,
   * which only happen in the batch loop of {@link ClassifierTrainer#fit}), else null.
   */
  private static Thread workerInsideTrainingLoop() {
    for (Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
      List<String> classes = Arrays.stream(t.getValue()).map(StackTraceElement::getClassName).toList();
      if (t.getKey().getName().equals("osprey-trainer-run") && classes.contains(ClassifierTrainer.class.getName())
          && classes.stream().anyMatch(c -> c.endsWith("GradientCollector") || c.startsWith("ai.djl.training.optimizer."))) {
        return t.getKey();
      }
    }
    return null;
  }

  @Test
  void refusesWhenAThirdOfTheLabelsAreFlipped() throws Exception {
    Setup s = setup("flipped");
    produceDrift(s, 0.3);
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (TrainerService trainer = s.service(meters, RunHooks.NONE)) {
      trainer.start();
      await().atMost(Duration.ofMinutes(5)).until(() -> {
        List<RunTransition> runs = s.read(s.topics.runs());
        return !runs.isEmpty() && last(runs).phase() == RunPhase.GATED;
      });
      RunTransition gated = last(s.read(s.topics.runs()));
      assertFalse(gated.gate().passed());
      assertTrue(gated.gate().refusals().stream().anyMatch(r -> r.startsWith("label quality: ")), gated.gate().refusals().toString());
      assertTrue(gated.gate().figures().get("gate.labels.contradictUnanimous") > gated.gate().figures().get("gate.labels.allowance"));
      assertEquals(0.0, s.registry.manifest(MODEL, 2).metric("gate.passed"), "the refused candidate's manifest says so");
      assertEquals(List.of(1), s.read(s.topics.models()).stream().map(ModelActivation::version).toList());
      await().atMost(Duration.ofSeconds(10)).until(() -> meters.scrape().contains(
          "osprey_trainer_runs_total{outcome=\"refused\",trigger=\"drift\"} 1.0"));
      assertTrue(meters.scrape().contains("osprey_trainer_gate_refusals_total{rule=\"labels\"} 1.0"), meters.scrape());
    }
  }

  @Test
  void reDistillsAFreshStudentFromTheAdaptedTeacherAndGatesIt() throws Exception {
    Setup s = setup("redistill");
    produceDrift(s, 0.0);
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // a fresh student needs more than one epoch: 3 at 2e-3 after the teacher's one
    RecipeConfig recipe = new RecipeConfig(2, 64, 1e-3f, 1, 0.1f, 0.05f, 200, 2, 1, 3, 2e-3f, 4f, 0.3f, 300, 1);
    try (TrainerService trainer = s.service(meters, RunHooks.NONE, StrategyConfig.Mode.RE_DISTILL, recipe)) {
      trainer.start();
      await().atMost(Duration.ofMinutes(5)).until(() -> {
        List<RunTransition> runs = s.read(s.topics.runs());
        return !runs.isEmpty() && (last(runs).phase() == RunPhase.ACTIVATED || last(runs).isTerminal());
      });
    }
    RunTransition run = last(s.read(s.topics.runs()));
    assertEquals("re-distill", run.strategy().strategy().label(), run.strategy().reason());
    double candidate = run.gate().figures().get("gate.heldOut.candidateAccuracy");
    double champion = run.gate().figures().get("gate.heldOut.championAccuracy");
    assertTrue(candidate > champion, "the re-distilled student learned the rotated digits: " + candidate + " vs " + champion);
    assertEquals(run.gate().passed() ? RunPhase.ACTIVATED : RunPhase.GATED, run.phase(), run.gate().summary());
    ModelManifest m = s.registry.manifest(MODEL, 2);
    Map<String, Object> hp = m.architecture().hyperparameters();
    assertEquals(run.runId(), hp.get(CandidateTraining.MANIFEST_RUN_ID));
    assertEquals("re-distill", hp.get("recipe"));
    assertTrue(hp.containsKey("recipe.teacherAdaptedEpochs"), "the adapted teacher's epochs are recorded: " + hp);
    assertTrue(hp.containsKey("recipe.temperature"), "a distillation: " + hp);
    // the lineage names the champion's published teacher, never the copy adapted in the run
    assertEquals(List.of(ModelRef.of("teacher", 1)), m.lineage().teachers().stream().map(t -> t.model()).toList());
    assertEquals(run.gate().passed() ? List.of(1, 2) : List.of(1),
        s.read(s.topics.models()).stream().map(ModelActivation::version).toList(), "activated iff the gate passed");
  }

  /**
   * The broker stops and comes back (same data, same port) while a run is under way, right after
   * its TRAINING step is durable: the trainer's readers and its run-log and activation producers
   * reconnect by themselves, the run completes in its first attempt, and the candidate is published
   * and activated once.
   */
  @Test
  void aBrokerRestartDuringARunStillCompletesItOnceWithOneActivation() throws Exception {
    EmbeddedKafkaBroker first = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(0, dir.resolve("kafka"), 1));
    AtomicReference<EmbeddedKafkaBroker> broker = new AtomicReference<>(first);
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", first.bootstrapServers());
    try {
      Setup s = new Setup(kafka, "restart", models, dir);
      produceDrift(s, 0.0);
      AtomicInteger restarts = new AtomicInteger();
      try (TrainerService trainer = s.service(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), step -> {
        if (step.phase() == RunPhase.TRAINING && restarts.getAndIncrement() == 0) {
          EmbeddedKafkaBroker running = broker.get();
          running.close();
          try {
            broker.set(EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(running.port(), dir.resolve("kafka"), 1)));
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      })) {
        trainer.start();
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(() -> {
          List<RunTransition> runs = s.read(s.topics.runs());
          return !runs.isEmpty() && (last(runs).phase() == RunPhase.ACTIVATED || last(runs).isTerminal());
        });
        assertEquals(1, restarts.get(), "the broker was restarted during the run");
        List<RunTransition> log = s.read(s.topics.runs());
        RunTransition done = last(log);
        assertEquals(RunPhase.ACTIVATED, done.phase(), done.reason());
        assertEquals(1, done.attempt(), "the run carried on: no second attempt");
        assertEquals(1, log.stream().map(RunTransition::runId).distinct().count(), "one run");
        assertEquals(1, log.stream().filter(t -> t.phase() == RunPhase.ACTIVATED).count(), "one ACTIVATED step");
        assertEquals(List.of(1, 2), s.read(s.topics.models()).stream().map(ModelActivation::version).toList(),
            "setup's v1, then the run's v2, once");
        assertEquals(List.of(1, 2), s.registry.versions(MODEL));
        await().atMost(Duration.ofMinutes(1)).until(() -> trainer.health().status() == Health.Status.READY);
      }
    } finally {
      broker.get().close();
    }
  }

  private Setup setup(String prefix) throws Exception {
    return new Setup(KAFKA, prefix, models, dir);
  }

  /** Stands for the process dying: an Error, which the run worker does not survive. */
  static final class SimulatedCrash extends Error {
    private static final long serialVersionUID = 1L;

    SimulatedCrash() {
      super("simulated crash");
    }
  }
}
