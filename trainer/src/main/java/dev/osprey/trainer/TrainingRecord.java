package dev.osprey.trainer;

import dev.osprey.model.net.NetworkSpec;
import java.util.List;
import java.util.Map;

/**
 * What {@code training.json} holds beside a model's parameters: enough to rebuild the network
 * and to know how it was made.
 *
 * @param recipe teacher, student, distill, finetune or prune
 * @param spec the architecture (rebuilt with {@link NetworkSpec#build()} on load)
 * @param hyperparameters the settings of the (last) training phase
 * @param dataset training dataset spec, e.g. "mnist:train"
 * @param trainCount examples trained on
 * @param validationCount examples held out
 * @param history per-epoch statistics, all phases in order
 * @param bestEpoch the epoch whose parameters were kept (1-based, counted within the last phase)
 * @param bestValidationAccuracy validation accuracy of the kept parameters
 * @param seconds wall time of the whole recipe
 * @param details recipe-specific facts (temperature, alpha, teachers, sparsity, ...)
 */
public record TrainingRecord(
    String recipe,
    NetworkSpec spec,
    Hyperparameters hyperparameters,
    String dataset,
    int trainCount,
    int validationCount,
    List<EpochStats> history,
    int bestEpoch,
    double bestValidationAccuracy,
    double seconds,
    Map<String, Object> details) {

  public TrainingRecord {
    history = List.copyOf(history);
    details = Map.copyOf(details);
  }
}
