package dev.osprey.trainer;

import dev.osprey.model.DatasetSchema;
import dev.osprey.model.InputSpec;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.registry.Lineage;
import java.util.List;
import java.util.Map;

/**
 * What {@code training.json} holds beside a model's parameters: enough to rebuild the network,
 * feed it and name its outputs, and to know how it was made. Written and read by {@link TrainedModel}.
 *
 * @param recipe teacher, student, distill, finetune or prune
 * @param spec the architecture (rebuilt with {@link NetworkSpec#build()} on load)
 * @param input what the network was trained on and how its input is normalized (from the dataset;
 *     a {@code training.json} written before this field existed gets the training set's schema)
 * @param labels class names, index = output position (likewise)
 * @param hyperparameters the settings of the (last) training phase
 * @param dataset training dataset spec, e.g. "mnist:train"
 * @param trainCount examples trained on
 * @param validationCount examples held out
 * @param history per-epoch statistics, all phases in order
 * @param bestEpoch the epoch whose parameters were kept (1-based, counted within the last phase)
 * @param bestValidationAccuracy validation accuracy of the kept parameters
 * @param seconds wall time of the whole recipe
 * @param teachers where a distilled student's knowledge came from (empty for other recipes)
 * @param details recipe-specific facts (temperature, alpha, sparsity, ...)
 */
public record TrainingRecord(
    String recipe,
    NetworkSpec spec,
    InputSpec input,
    List<String> labels,
    Hyperparameters hyperparameters,
    String dataset,
    int trainCount,
    int validationCount,
    List<EpochStats> history,
    int bestEpoch,
    double bestValidationAccuracy,
    double seconds,
    List<Lineage.Teacher> teachers,
    Map<String, Object> details) {

  public TrainingRecord {
    if (input == null || labels == null) {
      List<Integer> shape = spec.inputShape();
      DatasetSchema schema = DatasetSchema.of(dataset, shape.get(shape.size() - 2), shape.get(shape.size() - 1), spec.classes());
      input = input == null ? schema.input() : input;
      labels = labels == null ? schema.labels() : labels;
    }
    labels = List.copyOf(labels);
    if (labels.size() != spec.classes()) {
      throw new IllegalArgumentException("labels must name the network's " + spec.classes() + " classes, got " + labels);
    }
    history = List.copyOf(history);
    teachers = teachers == null ? List.of() : List.copyOf(teachers);
    details = Map.copyOf(details);
  }
}
