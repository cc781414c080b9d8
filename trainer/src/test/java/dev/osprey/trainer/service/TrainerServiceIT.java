package dev.osprey.trainer.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.data.ImageShifts;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.RunTransition;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.service.Health;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.registry.ActivationPublisher;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.trainer.Hyperparameters;
import dev.osprey.trainer.loop.DataPlanConfig;
import dev.osprey.trainer.loop.GateConfig;
import dev.osprey.trainer.loop.RollbackConfig;
import dev.osprey.trainer.loop.StrategyConfig;
import dev.osprey.trainer.loop.TriggerConfig;
import dev.osprey.trainer.loop.TriggerPolicy;
import dev.osprey.trainer.pipeline.ModelPipeline;
import dev.osprey.trainer.pipeline.Teachers;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
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
 * start trains again (attempt 2 of the same run) and activates once. 30% flipped labels: the gate
 * refuses and says why. Re-distill: the teacher is adapted, a fresh student distilled from it beats
 * the champion on the held-out rotated digits and is gated, its lineage naming the published teacher.
 */
class TrainerServiceIT {
  static {
    DjlOfflineGuard.install();
    System.setProperty("ai.djl.pytorch.num_threads", "2");
  }

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  private static final String MODEL = "digits";
  private static final int LABELS = 1600;
  private static final long T0 = 1_700_000_000_000L;
  /** Fine-tuning: 2 epochs of 64 at 1e-3; re-distillation: the teacher 1 epoch, the student 1 at 1e-3. */
  private static final RecipeConfig RECIPE = new RecipeConfig(2, 64, 1e-3f, 1, 0.1f, 0.05f, 200, 2, 1, 1, 1e-3f, 4f, 0.3f, 300);
  private static Path models;

  @TempDir static Path shared;
  @TempDir Path dir;

  /** A teacher and a student distilled from it, trained once for all tests (1 epoch on 4,000 fixture digits each). */
  @BeforeAll
  static void trainModels() throws Exception {
    models = shared.resolve("registry");
    Datasets datasets = new Datasets(shared);
    ImageDataset train = datasets.load("fixture:train").slice(0, 4000);
    ModelRegistry registry = new ModelRegistry(models);
    ModelPipeline pipeline = new ModelPipeline(registry, datasets, line -> {});
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(1).withBatchSize(64).withValidationCount(200)
        .withLearningRate(2e-3f).withSeed(3);
    ModelPipeline.Publication teacher = new ModelPipeline.Publication("teacher", "fixture:test", "fixture:train", 200,
        CalibrationMethod.ENTROPY, null);
    pipeline.run(ModelPipeline.Plan.train(r -> r.fromScratch("teacher", Architectures.cnnStudent(10), train, hp))
        .optPublish(teacher));
    pipeline.run(ModelPipeline.Plan.train(r -> {
      try (Teachers t = new Teachers().addVersion(registry, ModelRef.parse("teacher:1"))) {
        return r.distill(Architectures.cnnStudent(10), train, hp.withSeed(4), t.list(), 4f, 0.3f);
      }
    }).optPublish(new ModelPipeline.Publication(MODEL, "fixture:test", "fixture:train", 200, CalibrationMethod.ENTROPY,
        null)));
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
    RecipeConfig recipe = new RecipeConfig(2, 64, 1e-3f, 1, 0.1f, 0.05f, 200, 2, 1, 3, 2e-3f, 4f, 0.3f, 300);
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

  /** What a test runs against: its own topics (by prefix) and its own copy of the registry with digits:1 serving. */
  private final class Setup {
    final Topics topics;
    final ModelRegistry registry;
    final KafkaClients clients = new KafkaClients(KAFKA.clientProperties());

    Setup(String prefix) throws Exception {
      topics = new Topics(prefix + "-", new EventCodec());
      KAFKA.createTopics(topics, 1);
      copy(models, dir.resolve("registry"));
      registry = new ModelRegistry(dir.resolve("registry"));
      try (ActivationPublisher p = new ActivationPublisher(registry, topics, KAFKA.clientProperties(), Clock.systemUTC())) {
        p.activate(MODEL, 1, "test", "the fixture student");
      }
    }

    TrainerService service(PrometheusMeterRegistry meters, RunHooks hooks) {
      return service(meters, hooks, StrategyConfig.Mode.FINE_TUNE, RECIPE);
    }

    TrainerService service(PrometheusMeterRegistry meters, RunHooks hooks, StrategyConfig.Mode strategy, RecipeConfig recipe) {
      TrainerConfig base = TrainerConfig.of(MODEL).withReference("fixture:train", "fixture:test");
      TriggerConfig trigger = new TriggerConfig(MODEL, 1000, 0, Duration.ZERO, 0, 500, Duration.ZERO, 5000);
      GateConfig gate = new GateConfig(200, 0.0, 0.03, 0.98, GateConfig.McNemarRule.SUPERIORITY, 0.05, 0.02, 1.5, 0.01);
      TrainerConfig config = base.withLoop(trigger, new DataPlanConfig(5000, 0.25, 1.0),
          new StrategyConfig(strategy, 0.1, 3, 2000), recipe, gate, new RollbackConfig(100, 0.02, 0.05));
      return new TrainerService(config, topics, meters, registry, KAFKA.clientProperties(), new Datasets(dir), Clock.systemUTC(),
          hooks);
    }

    <V> List<V> read(Topic<String, V> topic) throws Exception {
      List<V> out = new ArrayList<>();
      for (ConsumerRecord<String, V> r : TopicSnapshot.read(clients, topic, "test-reader", Duration.ofSeconds(30))) {
        out.add(r.value());
      }
      return out;
    }
  }

  private Setup setup(String prefix) throws Exception {
    return new Setup(prefix);
  }

  /**
   * Rotated fixture digits the models never trained on (test split and the unused part of the train
   * split) as labels, a share of them flipped to another class at random, then an ALARM whose onset
   * precedes them.
   */
  private static void produceDrift(Setup s, double flipped) throws Exception {
    ImageDataset data = new Datasets(s.registry.root()).load("fixture:train").slice(4000, 4000 + LABELS);
    Random rng = new Random(11);
    try (Producer<String, LabeledSample> p = s.clients.idempotentProducer(s.topics.labeled(), null, Map.of())) {
      for (int i = 0; i < data.size(); i++) {
        byte[] rotated = ImageShifts.rotate(data.image(i), data.rows(), data.cols(), 40);
        int label = data.label(i);
        if (rng.nextDouble() < flipped) {
          label = (label + 1 + rng.nextInt(9)) % 10;
        }
        long ts = T0 + i;
        String id = "rot-" + i;
        p.send(new ProducerRecord<>(s.topics.labeled().name(), id, new LabeledSample(LabeledSample.SCHEMA_VERSION, id,
            Tensor.ofUint8(rotated, 1, data.rows(), data.cols()), null, label, "test", ts, ts + 100, ts + 100)));
      }
    }
    try (Producer<String, DriftReport> p = s.clients.idempotentProducer(s.topics.drift(), null, Map.of())) {
      DriftReport alarm = new DriftReport(DriftReport.SCHEMA_VERSION, "alarm-1", MODEL, 1, "page-hinkley",
          DriftReport.State.ALARM, 12.5, 10.0, 500, 10_000.0, 120, "rot-0", Map.of(),
          Map.of(TriggerPolicy.ONSET_TIMESTAMP_DETAIL, (double) T0), T0 + 200);
      p.send(new ProducerRecord<>(s.topics.drift().name(), alarm.key(), alarm));
    }
  }

  private static void produceOutcomes(Setup s, int version, int n, double accuracy, String prefix) {
    try (Producer<String, Outcome> p = s.clients.idempotentProducer(s.topics.outcomes(), null, Map.of())) {
      for (int i = 0; i < n; i++) {
        // spread evenly, so every window of the last outcomes has the same accuracy
        boolean correct = Math.floor((i + 1) * accuracy) > Math.floor(i * accuracy);
        String id = prefix + "-" + i;
        long ts = T0 + 10_000 + i;
        p.send(new ProducerRecord<>(s.topics.outcomes().name(), id, new Outcome(Outcome.SCHEMA_VERSION, id, MODEL, version,
            1, correct ? 1 : 2, correct, 0.9f, correct ? 0.9f : 0.05f, List.of(0.05f, 0.9f, 0.05f), "test", ts, ts, 0L, ts)));
      }
    }
  }

  private static <T> T last(List<T> list) {
    return list.get(list.size() - 1);
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.sorted(Comparator.naturalOrder()).toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  /** Stands for the process dying: an Error, which the run worker does not survive. */
  static final class SimulatedCrash extends Error {
    private static final long serialVersionUID = 1L;

    SimulatedCrash() {
      super("simulated crash");
    }
  }
}
