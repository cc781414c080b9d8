package dev.osprey.trainer.service;

import dev.osprey.core.config.ConfigSource;
import dev.osprey.trainer.loop.DataPlanConfig;
import dev.osprey.trainer.loop.GateConfig;
import dev.osprey.trainer.loop.RollbackConfig;
import dev.osprey.trainer.loop.StrategyConfig;
import dev.osprey.trainer.loop.TriggerConfig;
import java.time.Duration;
import java.util.Locale;

/**
 * Configuration of the trainer service, validated at construction (each part names its field).
 * Read from {@code trainer.*} keys by {@link #from(ConfigSource)}; every key is listed in
 * docs/retraining.md#configuration.
 *
 * @param modelName registry name of the served model the loop retrains
 * @param groupId prefix of the transactional id
 * @param instanceId stable id of this trainer; the transactional id is {@code <groupId>-<instanceId>},
 *     so a restarted trainer fences its previous incarnation (run one trainer per model)
 * @param referenceTrain the reference training set replayed into every run (e.g. {@code mnist:train})
 * @param referenceTest the reference test set: the gate's forgetting bound and the manifest's accuracy
 * @param trigger when to retrain
 * @param data the run's data mix
 * @param strategy fine-tune, re-distill or auto
 * @param recipe how a candidate is trained
 * @param gate the promotion gate's thresholds
 * @param rollback the rollback watch
 * @param maxAttempts training attempts (restarts after crashes) before a run is abandoned
 * @param tick how often the clock is ticked while the log is quiet (schedule, cooldown)
 * @param startTimeout how long {@code start()} may take to read the run log and the models topic
 */
public record TrainerConfig(
    String modelName, String groupId, String instanceId, String referenceTrain, String referenceTest,
    TriggerConfig trigger, DataPlanConfig data, StrategyConfig strategy, RecipeConfig recipe, GateConfig gate,
    RollbackConfig rollback, int maxAttempts, Duration tick, Duration startTimeout) {

  public static final String DEFAULT_GROUP_ID = "osprey-trainer";
  /** The actor named in the trainer's activations on {@code osprey.models}. */
  public static final String ACTOR = "trainer";

  /** @throws IllegalArgumentException naming the field when a value is invalid */
  public TrainerConfig {
    for (String[] f : new String[][] {{"groupId", groupId}, {"instanceId", instanceId}}) {
      if (f[1] == null || !f[1].matches("[A-Za-z0-9._-]+")) {
        throw new IllegalArgumentException(f[0] + " '" + f[1] + "' must be non-empty and use only [A-Za-z0-9._-]");
      }
    }
    if (trigger == null || data == null || strategy == null || recipe == null || gate == null || rollback == null) {
      throw new IllegalArgumentException("trigger, data, strategy, recipe, gate and rollback must be set");
    }
    if (!trigger.modelName().equals(modelName)) {
      throw new IllegalArgumentException("trigger.modelName " + trigger.modelName() + " must be the model " + modelName);
    }
    for (String[] f : new String[][] {{"referenceTrain", referenceTrain}, {"referenceTest", referenceTest}}) {
      if (f[1] == null || !f[1].contains(":")) {
        throw new IllegalArgumentException(f[0] + " must be a dataset NAME:SPLIT (e.g. mnist:train), got '" + f[1] + "'");
      }
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
    }
    if (tick == null || tick.isNegative() || tick.isZero() || startTimeout == null || startTimeout.isNegative()
        || startTimeout.isZero()) {
      throw new IllegalArgumentException("tick and startTimeout must be > 0, got " + tick + ", " + startTimeout);
    }
  }

  /** Every default (docs/retraining.md): MNIST as reference, the loop classes' own defaults. */
  public static TrainerConfig of(String modelName) {
    return new TrainerConfig(modelName, DEFAULT_GROUP_ID, "0", "mnist:train", "mnist:test",
        TriggerConfig.defaults(modelName), DataPlanConfig.defaults(), StrategyConfig.defaults(), RecipeConfig.defaults(),
        GateConfig.defaults(), RollbackConfig.defaults(), 3, Duration.ofSeconds(1), Duration.ofSeconds(60));
  }

  /** The Kafka transactional id: stable per instance. */
  public String transactionalId() {
    return groupId + "-" + instanceId;
  }

  public TrainerConfig withReference(String train, String test) {
    return new TrainerConfig(modelName, groupId, instanceId, train, test, trigger, data, strategy, recipe, gate,
        rollback, maxAttempts, tick, startTimeout);
  }

  public TrainerConfig withLoop(TriggerConfig t, DataPlanConfig d, StrategyConfig s, RecipeConfig r, GateConfig g,
      RollbackConfig rb) {
    return new TrainerConfig(modelName, groupId, instanceId, referenceTrain, referenceTest, t, d, s, r, g, rb,
        maxAttempts, tick, startTimeout);
  }

  public TrainerConfig withInstance(String group, String instance) {
    return new TrainerConfig(modelName, group, instance, referenceTrain, referenceTest, trigger, data, strategy, recipe,
        gate, rollback, maxAttempts, tick, startTimeout);
  }

  // Config keys (docs/retraining.md#configuration).
  public static final String KEY_MODEL = "trainer.model";
  public static final String KEY_GROUP_ID = "trainer.group.id";
  public static final String KEY_INSTANCE_ID = "trainer.instance.id";
  public static final String KEY_REFERENCE_TRAIN = "trainer.reference.train";
  public static final String KEY_REFERENCE_TEST = "trainer.reference.test";
  public static final String KEY_DRIFT_MIN_LABELS = "trainer.trigger.drift.min.labels";
  public static final String KEY_NEW_LABELS = "trainer.trigger.new.labels";
  public static final String KEY_SCHEDULE = "trainer.trigger.schedule";
  public static final String KEY_ACCURACY_FLOOR = "trainer.trigger.accuracy.floor";
  public static final String KEY_ACCURACY_WINDOW = "trainer.trigger.accuracy.window";
  public static final String KEY_COOLDOWN = "trainer.trigger.cooldown";
  public static final String KEY_LABEL_MEMORY = "trainer.trigger.label.memory";
  public static final String KEY_WINDOW = "trainer.data.window";
  public static final String KEY_HELD_OUT = "trainer.data.held.out.fraction";
  public static final String KEY_REPLAY = "trainer.data.replay.ratio";
  public static final String KEY_STRATEGY = "trainer.strategy";
  public static final String KEY_LARGE_DRIFT_GAP = "trainer.strategy.large.drift.gap";
  public static final String KEY_MAX_FINE_TUNES = "trainer.strategy.max.fine.tunes";
  public static final String KEY_MIN_DISTILL_LABELS = "trainer.strategy.min.distill.labels";
  public static final String KEY_EPOCHS = "trainer.recipe.epochs";
  public static final String KEY_BATCH_SIZE = "trainer.recipe.batch.size";
  public static final String KEY_LEARNING_RATE = "trainer.recipe.learning.rate";
  public static final String KEY_FROZEN_LAYERS = "trainer.recipe.frozen.layers";
  public static final String KEY_WARMUP = "trainer.recipe.warmup.fraction";
  public static final String KEY_LABEL_SMOOTHING = "trainer.recipe.label.smoothing";
  public static final String KEY_VALIDATION = "trainer.recipe.validation.count";
  public static final String KEY_PATIENCE = "trainer.recipe.patience";
  public static final String KEY_TEACHER_EPOCHS = "trainer.recipe.teacher.epochs";
  public static final String KEY_DISTILL_EPOCHS = "trainer.recipe.distill.epochs";
  public static final String KEY_DISTILL_LR = "trainer.recipe.distill.learning.rate";
  public static final String KEY_TEMPERATURE = "trainer.recipe.temperature";
  public static final String KEY_ALPHA = "trainer.recipe.alpha";
  public static final String KEY_CALIBRATION = "trainer.recipe.calibration.samples";
  public static final String KEY_THREADS = "trainer.recipe.threads";
  public static final String KEY_GATE_MIN_HELD_OUT = "trainer.gate.min.held.out";
  public static final String KEY_GATE_MARGIN = "trainer.gate.held.out.margin";
  public static final String KEY_GATE_FORGETTING = "trainer.gate.forgetting.bound";
  public static final String KEY_GATE_INT8 = "trainer.gate.min.int8.agreement";
  public static final String KEY_GATE_MCNEMAR = "trainer.gate.mcnemar";
  public static final String KEY_GATE_ALPHA = "trainer.gate.alpha";
  public static final String KEY_GATE_LABEL_TOLERANCE = "trainer.gate.label.tolerance";
  public static final String KEY_GATE_LABEL_EXPONENT = "trainer.gate.label.drift.exponent";
  public static final String KEY_GATE_LABEL_ALPHA = "trainer.gate.label.alpha";
  public static final String KEY_ROLLBACK_OUTCOMES = "trainer.rollback.outcomes";
  public static final String KEY_ROLLBACK_MARGIN = "trainer.rollback.margin";
  public static final String KEY_ROLLBACK_ALPHA = "trainer.rollback.alpha";
  public static final String KEY_MAX_ATTEMPTS = "trainer.max.attempts";
  public static final String KEY_TICK = "trainer.tick";
  public static final String KEY_START_TIMEOUT = "trainer.start.timeout";

  /**
   * Reads the {@code trainer.*} keys (durations ISO-8601, e.g. {@code PT60S}).
   *
   * @throws IllegalArgumentException naming the key or field and the value when one is invalid
   */
  public static TrainerConfig from(ConfigSource s) {
    String model = s.get(KEY_MODEL).orElseThrow(
        () -> new IllegalArgumentException("config '" + KEY_MODEL + "' (the registry name of the model to retrain) must be set"));
    TrainerConfig d = of(model);
    TriggerConfig t = d.trigger();
    TriggerConfig trigger = new TriggerConfig(model, s.getInt(KEY_DRIFT_MIN_LABELS, t.driftMinLabels()),
        s.getInt(KEY_NEW_LABELS, t.newLabels()), s.getDuration(KEY_SCHEDULE, t.schedule()),
        number(s, KEY_ACCURACY_FLOOR, t.accuracyFloor()), s.getInt(KEY_ACCURACY_WINDOW, t.accuracyWindow()),
        s.getDuration(KEY_COOLDOWN, t.cooldown()), s.getInt(KEY_LABEL_MEMORY, t.labelMemory()));
    DataPlanConfig data = new DataPlanConfig(s.getInt(KEY_WINDOW, d.data().windowCapacity()),
        number(s, KEY_HELD_OUT, d.data().heldOutFraction()), number(s, KEY_REPLAY, d.data().replayRatio()));
    StrategyConfig sc = d.strategy();
    StrategyConfig strategy = new StrategyConfig(mode(s.get(KEY_STRATEGY, "auto")),
        number(s, KEY_LARGE_DRIFT_GAP, sc.largeDriftGap()), s.getInt(KEY_MAX_FINE_TUNES, sc.maxFineTunes()),
        s.getInt(KEY_MIN_DISTILL_LABELS, sc.minDistillLabels()));
    RecipeConfig r = d.recipe();
    RecipeConfig recipe = new RecipeConfig(s.getInt(KEY_EPOCHS, r.epochs()), s.getInt(KEY_BATCH_SIZE, r.batchSize()),
        (float) number(s, KEY_LEARNING_RATE, r.learningRate()), s.getInt(KEY_FROZEN_LAYERS, r.frozenLayers()),
        (float) number(s, KEY_WARMUP, r.warmupFraction()), (float) number(s, KEY_LABEL_SMOOTHING, r.labelSmoothing()),
        s.getInt(KEY_VALIDATION, r.validationCount()), s.getInt(KEY_PATIENCE, r.patience()),
        s.getInt(KEY_TEACHER_EPOCHS, r.teacherEpochs()), s.getInt(KEY_DISTILL_EPOCHS, r.distillEpochs()),
        (float) number(s, KEY_DISTILL_LR, r.distillLearningRate()), (float) number(s, KEY_TEMPERATURE, r.temperature()),
        (float) number(s, KEY_ALPHA, r.alpha()), s.getInt(KEY_CALIBRATION, r.calibrationSamples()),
        s.getInt(KEY_THREADS, r.threads()));
    GateConfig g = d.gate();
    GateConfig gate = new GateConfig(s.getInt(KEY_GATE_MIN_HELD_OUT, g.minHeldOut()), number(s, KEY_GATE_MARGIN, g.heldOutMargin()),
        number(s, KEY_GATE_FORGETTING, g.forgettingBound()), number(s, KEY_GATE_INT8, g.minInt8Agreement()),
        mcnemar(s.get(KEY_GATE_MCNEMAR, "superiority")), number(s, KEY_GATE_ALPHA, g.alpha()),
        number(s, KEY_GATE_LABEL_TOLERANCE, g.labelTolerance()), number(s, KEY_GATE_LABEL_EXPONENT, g.labelDriftExponent()),
        number(s, KEY_GATE_LABEL_ALPHA, g.labelAlpha()));
    RollbackConfig rb = d.rollback();
    RollbackConfig rollback = new RollbackConfig(s.getInt(KEY_ROLLBACK_OUTCOMES, rb.outcomes()),
        number(s, KEY_ROLLBACK_MARGIN, rb.margin()), number(s, KEY_ROLLBACK_ALPHA, rb.alpha()));
    return new TrainerConfig(model, s.get(KEY_GROUP_ID, d.groupId()), s.get(KEY_INSTANCE_ID, d.instanceId()),
        s.get(KEY_REFERENCE_TRAIN, d.referenceTrain()), s.get(KEY_REFERENCE_TEST, d.referenceTest()), trigger, data,
        strategy, recipe, gate, rollback, s.getInt(KEY_MAX_ATTEMPTS, d.maxAttempts()), s.getDuration(KEY_TICK, d.tick()),
        s.getDuration(KEY_START_TIMEOUT, d.startTimeout()));
  }

  private static double number(ConfigSource s, String key, double fallback) {
    String v = s.get(key).orElse(null);
    if (v == null) {
      return fallback;
    }
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("config '" + key + "' must be a number, got '" + v + "'");
    }
  }

  private static StrategyConfig.Mode mode(String v) {
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "auto" -> StrategyConfig.Mode.AUTO;
      case "fine-tune" -> StrategyConfig.Mode.FINE_TUNE;
      case "re-distill" -> StrategyConfig.Mode.RE_DISTILL;
      default -> throw new IllegalArgumentException("config '" + KEY_STRATEGY + "' must be auto, fine-tune or re-distill, got '" + v + "'");
    };
  }

  private static GateConfig.McNemarRule mcnemar(String v) {
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "superiority" -> GateConfig.McNemarRule.SUPERIORITY;
      case "non-inferiority" -> GateConfig.McNemarRule.NON_INFERIORITY;
      default -> throw new IllegalArgumentException("config '" + KEY_GATE_MCNEMAR + "' must be superiority or non-inferiority, got '" + v + "'");
    };
  }
}
