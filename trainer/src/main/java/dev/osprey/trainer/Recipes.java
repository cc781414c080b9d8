package dev.osprey.trainer;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.DatasetSchema;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.Predictor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.Supplier;

/**
 * The training recipes: from scratch, distillation, fine-tuning with a new head, magnitude
 * pruning. Each returns a {@link TrainedModel} (the network and its {@link TrainingRecord}, whose
 * input spec and labels come from the training data's {@link DatasetSchema}); the caller saves
 * and closes it.
 *
 * <p>Every recipe stops within one batch when its {@link Cancellation} asks, throwing
 * {@link CancellationException}; a network it created is closed, one it was given is the caller's.
 */
public final class Recipes {
  private final boolean showProgress;
  private final Cancellation cancellation;

  public Recipes(boolean showProgress) {
    this(showProgress, Cancellation.NEVER);
  }

  /** @param cancellation checked between batches of every recipe */
  public Recipes(boolean showProgress, Cancellation cancellation) {
    this.showProgress = showProgress;
    this.cancellation = Objects.requireNonNull(cancellation, "cancellation");
  }

  /**
   * A distillation teacher: something that gives logits for the student's normalized input, and
   * who it is for the student's lineage.
   *
   * @param logits e.g. a {@link DjlNetwork#newPredictor()}; owned and closed by the caller
   * @param identity the registry version or trained directory it came from
   */
  public record Teacher(Predictor logits, Lineage.Teacher identity) {}

  /** Trains {@code spec} from a seeded random initialization on hard labels. */
  public TrainedModel fromScratch(String recipe, NetworkSpec spec, ImageDataset train, Hyperparameters hp) {
    DatasetSchema schema = DatasetSchema.of(train);
    DjlNetwork net = DjlNetwork.create(spec, hp.seed());
    ClassifierTrainer.Run run = closingOnFailure(net,
        () -> trainer(schema).fit(net, train, hp, new Objective.HardLabels(), 0, PruningMasks.none(), spec.name()));
    return new TrainedModel(net, record(recipe, spec, schema, train, hp, run, List.of(), run.seconds(), List.of(), Map.of()));
  }

  /** Distills the teachers into a freshly initialized {@code student}; the record names the teachers. */
  public TrainedModel distill(
      NetworkSpec student, ImageDataset train, Hyperparameters hp, List<Teacher> teachers, float temperature, float alpha) {
    DatasetSchema schema = DatasetSchema.of(train);
    DjlNetwork net = DjlNetwork.create(student, hp.seed());
    Objective.Distillation objective = new Objective.Distillation(teachers.stream().map(Teacher::logits).toList(), temperature, alpha);
    ClassifierTrainer.Run run = closingOnFailure(net,
        () -> trainer(schema).fit(net, train, hp, objective, 0, PruningMasks.none(), student.name() + " T=" + temperature));
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("temperature", temperature);
    details.put("alpha", alpha);
    details.put("teachers", teachers.stream().map(t -> t.identity().toString()).toList());
    List<Lineage.Teacher> identities = teachers.stream().map(Teacher::identity).toList();
    return new TrainedModel(net, record("distill", student, schema, train, hp, run, List.of(), run.seconds(), identities, details));
  }

  /**
   * Fine-tunes {@code base} for {@code classes} classes: a fresh head, the backbone frozen (all of
   * it, or its first {@code frozenLayers} layers) for {@code hp.epochs()} epochs, then everything
   * unfrozen for {@code unfreezeEpochs} epochs at LR / 10. {@code base} is left unchanged.
   */
  public TrainedModel fineTune(DjlNetwork base, ImageDataset train, Hyperparameters hp, int classes, int frozenLayers, int unfreezeEpochs) {
    long start = System.nanoTime();
    DatasetSchema schema = DatasetSchema.of(train.name(), train.rows(), train.cols(), classes);
    ClassifierTrainer trainer = trainer(schema);
    DjlNetwork net = base.withNewHead(classes, hp.seed());
    ClassifierTrainer.Run head = closingOnFailure(net,
        () -> trainer.fit(net, train, hp, new Objective.HardLabels(), frozenLayers, PruningMasks.none(), "head"));
    List<EpochStats> earlier = new ArrayList<>();
    ClassifierTrainer.Run last = head;
    Hyperparameters lastHp = hp;
    if (unfreezeEpochs > 0) {
      earlier.addAll(head.history());
      Hyperparameters all = hp.withEpochs(unfreezeEpochs).withLearningRate(hp.learningRate() / 10);
      lastHp = all;
      last = closingOnFailure(net, () -> trainer.fit(net, train, all, new Objective.HardLabels(), 0, PruningMasks.none(), "all"));
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("base", base.spec().name());
    details.put("frozenLayers", frozenLayers);
    details.put("headEpochs", head.history().size());
    details.put("unfreezeEpochs", unfreezeEpochs);
    return new TrainedModel(net, record("finetune", net.spec(), schema, train, lastHp, last, earlier,
        (System.nanoTime() - start) / 1e9, List.of(), details));
  }

  /**
   * Continues training {@code base} in place on {@code train}, keeping its head and classes: the
   * retraining loop's fine-tune (and its teacher's adaptation before a re-distillation). The first
   * {@code frozenLayers} layers stay frozen (generic features), the rest train at {@code hp}'s
   * learning rate (meant to be about a tenth of the original) with warmup + cosine, label smoothing
   * and early stopping on {@code hp.validationCount()} examples of {@code train} (the best epoch is
   * kept). {@code schema} is the base model's own (its normalization and labels, whatever
   * {@code train} is called). The result owns {@code base}: close the result, not both.
   *
   * @param teachers the lineage to keep (a fine-tuned student still descends from its teacher)
   * @param details recipe facts recorded beside the hyperparameters (run id, data counts, ...)
   */
  public TrainedModel adapt(String recipe, DjlNetwork base, DatasetSchema schema, ImageDataset train, Hyperparameters hp,
      int frozenLayers, List<Lineage.Teacher> teachers, Map<String, Object> details) {
    ClassifierTrainer.Run run = trainer(schema)
        .fit(base, train, hp, new Objective.HardLabels(), frozenLayers, PruningMasks.none(), base.spec().name() + " " + recipe);
    Map<String, Object> all = new LinkedHashMap<>(details);
    all.put("frozenLayers", frozenLayers);
    return new TrainedModel(base, record(recipe, base.spec(), schema, train, hp, run, List.of(), run.seconds(), teachers, all));
  }

  /**
   * Prunes {@code base} in place to {@code sparsity} (L1 magnitude, see {@link PruningMasks}) and
   * fine-tunes it with the masks held. The result owns {@code base}: close the result, not both.
   */
  public TrainedModel prune(DjlNetwork base, ImageDataset train, Hyperparameters hp, float sparsity) {
    DatasetSchema schema = DatasetSchema.of(train);
    PruningMasks masks = PruningMasks.magnitude(base, sparsity);
    double afterPruning = ClassifierTrainer.accuracy(base, new ImageBatches(train, schema.input()),
        ImageBatches.range(Math.min(train.size(), 2000)));
    ClassifierTrainer.Run run = trainer(schema).fit(base, train, hp, new Objective.HardLabels(), 0, masks, base.spec().name() + " pruned");
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("targetSparsity", sparsity);
    details.put("achievedSparsity", masks.achievedSparsity());
    details.put("prunableWeights", masks.prunableWeights());
    details.put("trainAccuracyRightAfterPruning", afterPruning);
    return new TrainedModel(base, record("prune", base.spec(), schema, train, hp, run, List.of(), run.seconds(), List.of(), details));
  }

  private ClassifierTrainer trainer(DatasetSchema schema) {
    return new ClassifierTrainer(schema.input(), showProgress, cancellation);
  }

  /** Runs {@code fit}, closing {@code net} (created here, nobody else's) if it throws, e.g. when cancelled. */
  private static ClassifierTrainer.Run closingOnFailure(DjlNetwork net, Supplier<ClassifierTrainer.Run> fit) {
    try {
      return fit.get();
    } catch (RuntimeException e) {
      net.close();
      throw e;
    }
  }

  private static TrainingRecord record(
      String recipe, NetworkSpec spec, DatasetSchema schema, ImageDataset train, Hyperparameters hp, ClassifierTrainer.Run run,
      List<EpochStats> earlier, double seconds, List<Lineage.Teacher> teachers, Map<String, Object> details) {
    List<EpochStats> history = new ArrayList<>(earlier);
    history.addAll(run.history());
    return new TrainingRecord(recipe, spec, schema.input(), schema.labels(), hp, train.name(), run.trainCount(), run.validationCount(),
        history, run.bestEpoch(), run.bestValidationAccuracy(), seconds, teachers, details);
  }
}
