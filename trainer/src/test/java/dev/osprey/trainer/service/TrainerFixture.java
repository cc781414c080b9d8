package dev.osprey.trainer.service;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.data.ImageShifts;
import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.registry.ActivationPublisher;
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
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * What the trainer's integration tests share ({@link TrainerServiceIT}, {@link TrainerKillRestartIT}
 * and its child {@link TrainerProcessMain}): the fixture models (a teacher and a student distilled
 * from it), the trainer's test config, and the labeled drift traffic that triggers a run.
 */
final class TrainerFixture {
  static final String MODEL = "digits";
  static final int LABELS = 1600;
  static final long T0 = 1_700_000_000_000L;

  private TrainerFixture() {}

  /**
   * A teacher and a student distilled from it (1 epoch on 4,000 fixture digits each), published as
   * {@code teacher:1} and {@code digits:1} in {@code shared/registry}; returns that registry's root.
   */
  static Path trainModels(Path shared) throws Exception {
    Path models = shared.resolve("registry");
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
    return models;
  }

  /**
   * The tests' trainer: a drift alarm with 1,000 labels triggers, fine-tuning 2 epochs of 64 at
   * 1e-3 on the fixture, the gate on 200 held-out labels, the rollback watch over 100 outcomes.
   */
  static TrainerConfig config() {
    return config(StrategyConfig.Mode.FINE_TUNE, RECIPE);
  }

  /** Fine-tuning: 2 epochs of 64 at 1e-3; re-distillation: the teacher 1 epoch, the student 1 at 1e-3. */
  static final RecipeConfig RECIPE = new RecipeConfig(2, 64, 1e-3f, 1, 0.1f, 0.05f, 200, 2, 1, 1, 1e-3f, 4f, 0.3f, 300, 1);

  /** {@link #config()} with another strategy and recipe. */
  static TrainerConfig config(StrategyConfig.Mode strategy, RecipeConfig recipe) {
    TrainerConfig base = TrainerConfig.of(MODEL).withReference("fixture:train", "fixture:test");
    TriggerConfig trigger = new TriggerConfig(MODEL, 1000, 0, Duration.ZERO, 0, 500, Duration.ZERO, 5000);
    GateConfig gate = new GateConfig(200, 0.0, 0.03, 0.98, GateConfig.McNemarRule.SUPERIORITY, 0.05, 0.02, 1.5, 0.01);
    return base.withLoop(trigger, new DataPlanConfig(5000, 0.25, 1.0),
        new StrategyConfig(strategy, 0.1, 3, 2000), recipe, gate, new RollbackConfig(100, 0.02, 0.05));
  }

  /** What a test runs against: its own topics (by prefix) and its own copy of the registry with digits:1 serving. */
  static final class Setup {
    final Topics topics;
    final ModelRegistry registry;
    final KafkaClients clients;
    private final Properties kafka;
    private final Path dir;

    /** Copies the registry at {@code models} into {@code dir/registry} and activates digits:1. */
    Setup(KafkaBrokerExtension kafka, String prefix, Path models, Path dir) throws Exception {
      this(kafka.clientProperties(), prefix, models, dir);
    }

    /** The same on the broker that {@code kafka} (client properties) names. */
    Setup(Properties kafka, String prefix, Path models, Path dir) throws Exception {
      this.kafka = kafka;
      this.dir = dir;
      clients = new KafkaClients(kafka);
      topics = new Topics(prefix + "-", new EventCodec());
      try (TopicAdmin admin = new TopicAdmin(kafka)) {
        admin.createAll(topics, 1, (short) 1);
      }
      copy(models, dir.resolve("registry"));
      registry = new ModelRegistry(dir.resolve("registry"));
      try (ActivationPublisher p = new ActivationPublisher(registry, topics, kafka, Clock.systemUTC())) {
        p.activate(MODEL, 1, "test", "the fixture student");
      }
    }

    TrainerService service(MeterRegistry meters, RunHooks hooks) {
      return service(meters, hooks, StrategyConfig.Mode.FINE_TUNE, RECIPE);
    }

    TrainerService service(MeterRegistry meters, RunHooks hooks, StrategyConfig.Mode strategy, RecipeConfig recipe) {
      return new TrainerService(config(strategy, recipe), topics, meters, registry, kafka,
          new Datasets(dir), Clock.systemUTC(), hooks);
    }

    <V> List<V> read(Topic<String, V> topic) throws Exception {
      List<V> out = new ArrayList<>();
      for (ConsumerRecord<String, V> r : TopicSnapshot.read(clients, topic, "test-reader", Duration.ofSeconds(30))) {
        out.add(r.value());
      }
      return out;
    }
  }

  /**
   * Rotated fixture digits the models never trained on (test split and the unused part of the train
   * split) as labels, a share of them flipped to another class at random, then an ALARM whose onset
   * precedes them.
   */
  static void produceDrift(Setup s, double flipped) throws Exception {
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

  static void produceOutcomes(Setup s, int version, int n, double accuracy, String prefix) {
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

  static <T> T last(List<T> list) {
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
}
