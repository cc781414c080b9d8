package dev.osprey.trainer.service;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.GateDecision;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.RunRequest;
import dev.osprey.core.event.RunTransition;
import dev.osprey.core.event.Strategy;
import dev.osprey.core.event.StrategyChoice;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.registry.ActivationPublisher;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.TorchThreads;
import dev.osprey.trainer.loop.PromotionGate;
import dev.osprey.trainer.loop.RollbackVerdict;
import dev.osprey.trainer.loop.RunRecovery;
import dev.osprey.trainer.loop.StableHash;
import dev.osprey.trainer.loop.StrategyChooser;
import dev.osprey.trainer.loop.TrainingDataPlan;
import dev.osprey.trainer.loop.TrainingRunReport;
import dev.osprey.trainer.pipeline.ModelPipeline;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries retraining runs through their steps, on the trainer's one run worker thread: data plan,
 * strategy, training, export, quantization and measurement through {@link ModelPipeline} (the
 * gate's figures measured on the exported graphs go into the candidate's manifest), the gate's
 * decision, and the activation written with its run record in one transaction. Every step is
 * written to the run log before the next relies on it, so {@link RunRecovery} can carry a run on
 * after a crash at any point. The rollback watch itself runs on the event loop, which hands its
 * verdict back here ({@link #verdict}).
 */
final class RunExecutor {
  private static final Logger LOG = LoggerFactory.getLogger(RunExecutor.class);

  /** What the event loop needs to hear from the worker. */
  interface Listener {
    /** The run is over (terminal record written). */
    void finished(RunTransition last);

    /** The candidate was activated: start (or resume) the rollback watch. */
    void watching(RunTransition activated);
  }

  private final TrainerConfig config;
  private final ModelRegistry registry;
  private final Datasets datasets;
  private final ImageDataset referenceTrain;
  private final ImageDataset referenceTest;
  private final RunRecorder log;
  private final Clock clock;
  private final TrainerMetrics metrics;
  private final RunHooks hooks;
  private final Listener listener;
  private final IntSupplier servingVersion;
  private final BooleanSupplier stopping;
  private final PromotionGate gate;
  private final StrategyChooser chooser;
  private final List<Strategy> promoted;
  private RunTransition current;

  RunExecutor(TrainerConfig config, ModelRegistry registry, Datasets datasets, ImageDataset referenceTrain,
      ImageDataset referenceTest, RunRecorder log, Clock clock, TrainerMetrics metrics, RunHooks hooks, Listener listener,
      IntSupplier servingVersion, BooleanSupplier stopping, List<Strategy> promoted) {
    this.config = config;
    this.registry = registry;
    this.datasets = datasets;
    this.referenceTrain = referenceTrain;
    this.referenceTest = referenceTest;
    this.log = log;
    this.clock = clock;
    this.metrics = metrics;
    this.hooks = hooks;
    this.listener = listener;
    this.servingVersion = servingVersion;
    this.stopping = stopping;
    this.gate = new PromotionGate(config.gate());
    this.chooser = new StrategyChooser(config.strategy());
    this.promoted = new ArrayList<>(promoted);
  }

  /** A run the trigger policy requested now, against the serving {@code champion}. */
  void start(RunRequest request, int champion, List<LabeledSample> window) throws Exception {
    LOG.info("run {} triggered: {}", request.runId(), request.reason());
    train(write(RunTransition.triggered(request, config.modelName(), champion, clock.millis())), window);
  }

  /** Carries on a run found unfinished in the run log on start. */
  void resume(RunRecovery.Step step, List<LabeledSample> window, Integer publishedVersion) throws Exception {
    RunTransition run = step.run();
    current = run;
    LOG.info("run {} recovered in {}: {} ({})", run.runId(), run.phase(), step.action(), step.reason());
    switch (step.action()) {
      case START_TRAINING, RESTART_TRAINING -> train(run, window);
      case RECORD_PUBLISHED -> gate(write(run.published(publishedVersion, clock.millis())), null, window);
      case GATE_AGAIN -> gate(run, null, window);
      case ACTIVATE -> activate(run);
      case RECORD_ACTIVATION -> listener.watching(write(run.activated(clock.millis())));
      case RESUME_WATCH -> listener.watching(run);
      case RECORD_ROLLBACK -> finish(write(run.rolledBack(step.reason(), clock.millis())));
      case ABANDON -> finish(write(run.abandoned(step.reason(), clock.millis())));
      default -> throw new IllegalStateException("unknown recovery action " + step.action());
    }
  }

  /** The rollback watch's verdict on an activated run: keep it, or activate the champion again. */
  void verdict(RunTransition activated, RollbackVerdict v) throws ModelLoadException {
    current = activated;
    long now = clock.millis();
    if (!v.rollBack()) {
      LOG.info("run {}: {}", activated.runId(), v.reason());
      finish(write(activated.kept(v.reason(), now)));
      return;
    }
    RunTransition rolledBack = activated.rolledBack(v.reason(), now);
    ModelActivation back = ActivationPublisher.activation(registry, clock, config.modelName(),
        activated.championVersion(), TrainerConfig.ACTOR, v.reason());
    log.appendWithActivation(rolledBack, back);
    LOG.warn("run {}: {}", activated.runId(), v.reason());
    if (!promoted.isEmpty()) {
      promoted.remove(promoted.size() - 1);
    }
    current = rolledBack;
    hooks.written(rolledBack);
    finish(rolledBack);
  }

  /** Gives up the run in progress after a failure (a training that throws must not be retried forever). */
  void abandonCurrent(String why) {
    RunTransition run = current;
    if (run == null || run.isTerminal() || stopping.getAsBoolean()) {
      return; // stopping: leave the run as logged, recovery carries it on
    }
    finish(write(run.abandoned(why, clock.millis())));
  }

  private void train(RunTransition run, List<LabeledSample> window) throws Exception {
    metrics.running(true);
    long t0 = System.nanoTime();
    TorchThreads.use(config.recipe().threads()); // this thread trains; its PyTorch team must not outnumber its share of cores
    ModelVersion champion = registry.load(config.modelName(), run.championVersion());
    ModelVersion teacher = teacherOf(champion);
    TrainingDataPlan plan = TrainingDataPlan.of(window, referenceTrain, champion.manifest().input(), config.data(), run.runId());
    GateMeasurement measurement = new GateMeasurement(champion.manifest().input(), plan.heldOutArrays(), referenceTest,
        champion, teacher, config.recipe().threads());
    StrategyChoice choice = chooser.choose(measurement.championReferenceAccuracy(), measurement.championHeldOutAccuracy(),
        StrategyChooser.fineTunesSinceDistill(promoted), plan.recentTrain().size());
    if (choice.strategy() == Strategy.RE_DISTILL && teacher == null) {
      choice = new StrategyChoice(Strategy.FINE_TUNE, "fine-tune: " + choice.reason() + ", but " + champion.ref()
          + " names no teacher in the registry to re-distill from", choice.figures());
    }
    metrics.phase("data", Duration.ofNanos(System.nanoTime() - t0));
    RunTransition training = write(run.training(choice, clock.millis()));
    LOG.info("run {} attempt {}: {} on {} recent + {} replayed labels, {} held out ({} skipped)", run.runId(),
        training.attempt(), choice.reason(), plan.recentTrain().size(), plan.replayIndices().length,
        plan.heldOut().size(), plan.skipped());
    requireRunning();

    int seed = (int) StableHash.of("seed\n" + run.runId());
    ImageDataset mix = plan.trainImages(referenceTrain.name() + "+" + TrainingDataPlan.RECENT_SOURCE);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put(CandidateTraining.RUN_ID, run.runId());
    details.put("attempt", training.attempt());
    details.put("heldOut", plan.heldOut().size());
    plan.dataCounts().forEach((source, n) -> details.put("data." + source, n));
    long[] trainNanos = new long[1];
    long[] gateNanos = new long[1];
    GateDecision[] decided = new GateDecision[1];
    ModelPipeline.Training recipe = CandidateTraining.of(choice.strategy(), champion, teacher, mix, config.recipe(), seed, details);
    ModelPipeline.Plan pipelinePlan = ModelPipeline.Plan.train(recipes -> {
      long s = System.nanoTime();
      try {
        return recipe.train(recipes);
      } finally {
        trainNanos[0] = System.nanoTime() - s;
      }
    }).optPublish(new ModelPipeline.Publication(config.modelName(), referenceTest.name(), null,
            Math.min(config.recipe().calibrationSamples(), mix.size()), CalibrationMethod.ENTROPY, run.championVersion()))
        .optCalibrationData(mix)
        .optCancellation(stopping::getAsBoolean) // close(): stop within a batch, publish nothing
        .optExtraMeasurement((fp32, int8) -> {
          requireRunning(); // a stopping trainer publishes nothing: the restarted one trains again
          long s = System.nanoTime();
          decided[0] = gate.decide(measurement.evidence(fp32, int8));
          gateNanos[0] = System.nanoTime() - s;
          return decided[0].figures();
        });
    long p0 = System.nanoTime();
    ModelPipeline.Born born = new ModelPipeline(registry, datasets, line -> LOG.info("run {}: {}", run.runId(), line))
        .run(pipelinePlan);
    long total = System.nanoTime() - p0;
    metrics.phase("train", Duration.ofNanos(trainNanos[0]));
    metrics.phase("package", Duration.ofNanos(total - trainNanos[0] - gateNanos[0]));
    metrics.phase("gate", Duration.ofNanos(gateNanos[0]));
    RunTransition published = write(training.published(born.published().version().manifest().version(), clock.millis()));
    gate(published, decided[0], window);
  }

  private void gate(RunTransition published, GateDecision decision, List<LabeledSample> window) throws Exception {
    metrics.running(true);
    if (decision == null) {
      long s = System.nanoTime();
      ModelVersion champion = registry.load(config.modelName(), published.championVersion());
      ModelVersion candidate = registry.load(config.modelName(), published.candidateVersion());
      TrainingDataPlan plan = TrainingDataPlan.of(window, referenceTrain, champion.manifest().input(), config.data(),
          published.runId());
      GateMeasurement m = new GateMeasurement(champion.manifest().input(), plan.heldOutArrays(), referenceTest, champion,
          teacherOf(champion), config.recipe().threads());
      decision = gate.decide(m.evidence(candidate.file(FileRoles.FP32_ONNX), candidate.file(FileRoles.INT8_ONNX)));
      metrics.phase("gate", Duration.ofNanos(System.nanoTime() - s));
    }
    metrics.gate(decision);
    RunTransition gated = write(published.gated(decision, clock.millis()));
    LOG.info("run {}: v{} {}", gated.runId(), gated.candidateVersion(), decision.summary());
    if (!decision.passed()) {
      finish(gated);
      return;
    }
    activate(gated);
  }

  private void activate(RunTransition gated) throws ModelLoadException {
    int serving = servingVersion.getAsInt();
    if (serving != gated.championVersion()) {
      finish(write(gated.abandoned("the serving version changed to v" + serving + " since the gate compared v"
          + gated.candidateVersion() + " with v" + gated.championVersion(), clock.millis())));
      return;
    }
    long s = System.nanoTime();
    ModelActivation activation = ActivationPublisher.activation(registry, clock, config.modelName(),
        gated.candidateVersion(), TrainerConfig.ACTOR, gated.gate().summary());
    RunTransition activated = gated.activated(clock.millis());
    log.appendWithActivation(activated, activation);
    current = activated;
    metrics.phase("activate", Duration.ofNanos(System.nanoTime() - s));
    promoted.add(activated.strategy().strategy());
    LOG.info("run {}: activated {}:{} (was v{}); watching its online accuracy", activated.runId(), config.modelName(),
        activated.candidateVersion(), activated.championVersion());
    metrics.running(false);
    hooks.written(activated);
    listener.watching(activated);
  }

  private RunTransition write(RunTransition step) {
    log.append(step);
    current = step;
    hooks.written(step);
    return step;
  }

  private void finish(RunTransition last) {
    metrics.running(false);
    TrainingRunReport report = TrainingRunReport.of(last);
    metrics.finished(report);
    LOG.info("run {} finished: {} ({}), phases {} ms", last.runId(), report.outcome(), report.summary(), report.phaseMillis());
    listener.finished(last);
  }

  private void requireRunning() throws IOException {
    if (stopping.getAsBoolean()) {
      throw new IOException("the trainer is stopping");
    }
  }

  /** The first registry version the champion was distilled from, if it is still in the registry and has an fp32 graph. */
  private ModelVersion teacherOf(ModelVersion champion) {
    Lineage lineage = champion.manifest().lineage();
    if (lineage == null) {
      return null;
    }
    for (Lineage.Teacher t : lineage.teachers()) {
      if (t.model() != null) {
        try {
          ModelVersion v = registry.load(t.model());
          if (v.hasFile(FileRoles.FP32_ONNX)) {
            return v;
          }
        } catch (ModelLoadException e) {
          LOG.warn("teacher {} of {} cannot be loaded: {}", t, champion.ref(), e.getMessage());
        }
      }
    }
    return null;
  }
}
