package dev.osprey.trainer;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.net.NetworkSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training recipes: from scratch, distillation, fine-tuning with a new head, magnitude
 * pruning. Each returns the trained model with its {@link TrainingRecord}; the caller saves and
 * closes it.
 */
public final class Recipes {
  private final ClassifierTrainer trainer;
  private final InputSpec input;

  public Recipes(InputSpec input, boolean showProgress) {
    this.trainer = new ClassifierTrainer(input, showProgress);
    this.input = input;
  }

  /** A trained model and how it was made. Closing it closes the model. */
  public record Outcome(TrainedModel model, TrainingRecord record) implements AutoCloseable {
    public void save(java.nio.file.Path dir) throws java.io.IOException {
      model.save(dir, record);
    }

    @Override
    public void close() {
      model.close();
    }
  }

  /** Trains {@code spec} from a seeded random initialization on hard labels. */
  public Outcome fromScratch(String recipe, NetworkSpec spec, ImageDataset train, Hyperparameters hp) {
    TrainedModel net = TrainedModel.create(spec, hp.seed());
    ClassifierTrainer.Run run = trainer.fit(net, train, hp, new Objective.HardLabels(), 0, PruningMasks.none(), spec.name());
    return new Outcome(net, record(recipe, spec, train, hp, run, List.of(), run.seconds(), Map.of()));
  }

  /**
   * Distills the teachers into a freshly initialized {@code student}.
   *
   * @param teacherNames recorded in training.json (e.g. the teachers' directories)
   */
  public Outcome distill(
      NetworkSpec student, ImageDataset train, Hyperparameters hp, List<? extends LogitsFunction> teachers,
      List<String> teacherNames, float temperature, float alpha) {
    TrainedModel net = TrainedModel.create(student, hp.seed());
    Objective.Distillation objective = new Objective.Distillation(List.copyOf(teachers), temperature, alpha);
    ClassifierTrainer.Run run = trainer.fit(net, train, hp, objective, 0, PruningMasks.none(), student.name() + " T=" + temperature);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("temperature", temperature);
    details.put("alpha", alpha);
    details.put("teachers", teacherNames);
    return new Outcome(net, record("distill", student, train, hp, run, List.of(), run.seconds(), details));
  }

  /**
   * Fine-tunes {@code base} for {@code classes} classes: a fresh head, the backbone frozen (all of
   * it, or its first {@code frozenLayers} layers) for {@code hp.epochs()} epochs, then everything
   * unfrozen for {@code unfreezeEpochs} epochs at LR / 10. {@code base} is left unchanged.
   */
  public Outcome fineTune(TrainedModel base, ImageDataset train, Hyperparameters hp, int classes, int frozenLayers, int unfreezeEpochs) {
    long start = System.nanoTime();
    TrainedModel net = base.withNewHead(classes, hp.seed());
    ClassifierTrainer.Run head = trainer.fit(net, train, hp, new Objective.HardLabels(), frozenLayers, PruningMasks.none(), "head");
    List<EpochStats> earlier = new ArrayList<>();
    ClassifierTrainer.Run last = head;
    Hyperparameters lastHp = hp;
    if (unfreezeEpochs > 0) {
      earlier.addAll(head.history());
      lastHp = hp.withEpochs(unfreezeEpochs).withLearningRate(hp.learningRate() / 10);
      last = trainer.fit(net, train, lastHp, new Objective.HardLabels(), 0, PruningMasks.none(), "all");
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("base", base.spec().name());
    details.put("frozenLayers", frozenLayers);
    details.put("headEpochs", head.history().size());
    details.put("unfreezeEpochs", unfreezeEpochs);
    return new Outcome(net, record("finetune", net.spec(), train, lastHp, last, earlier, (System.nanoTime() - start) / 1e9, details));
  }

  /**
   * Prunes {@code base} in place to {@code sparsity} (L1 magnitude, see {@link PruningMasks}) and
   * fine-tunes it with the masks held.
   */
  public Outcome prune(TrainedModel base, ImageDataset train, Hyperparameters hp, float sparsity) {
    PruningMasks masks = PruningMasks.magnitude(base, sparsity);
    double afterPruning = ClassifierTrainer.accuracy(base, new ImageBatches(train, input), ImageBatches.range(Math.min(train.size(), 2000)));
    ClassifierTrainer.Run run = trainer.fit(base, train, hp, new Objective.HardLabels(), 0, masks, base.spec().name() + " pruned");
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("targetSparsity", sparsity);
    details.put("achievedSparsity", masks.achievedSparsity());
    details.put("prunableWeights", masks.prunableWeights());
    details.put("trainAccuracyRightAfterPruning", afterPruning);
    return new Outcome(base, record("prune", base.spec(), train, hp, run, List.of(), run.seconds(), details));
  }

  private static TrainingRecord record(
      String recipe, NetworkSpec spec, ImageDataset train, Hyperparameters hp, ClassifierTrainer.Run run,
      List<EpochStats> earlier, double seconds, Map<String, Object> details) {
    List<EpochStats> history = new ArrayList<>(earlier);
    history.addAll(run.history());
    return new TrainingRecord(recipe, spec, hp, train.name(), run.trainCount(), run.validationCount(), history,
        run.bestEpoch(), run.bestValidationAccuracy(), seconds, details);
  }
}
