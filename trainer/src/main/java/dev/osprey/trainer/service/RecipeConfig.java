package dev.osprey.trainer.service;

import dev.osprey.trainer.Hyperparameters;

/**
 * How the trainer service trains a candidate (docs/retraining.md#recipes).
 *
 * <p>Fine-tune: the serving student continues training on the run's data mix with its head kept,
 * the first {@code frozenLayers} layers frozen and the rest at {@code learningRate} (about a tenth of
 * a from-scratch rate), linear warmup then cosine decay, label smoothing, and early stopping on
 * {@code validationCount} examples of the training part (never the held-out part).
 * Re-distill: the champion's teacher is adapted the same way for {@code teacherEpochs}, then a fresh
 * student of the champion's architecture is distilled from it for {@code distillEpochs} at
 * {@code distillLearningRate}, temperature {@code temperature}, hard-label weight {@code alpha}
 * (soft term scaled by T²).
 *
 * @param epochs fine-tuning epochs (at most; early stopping may end sooner)
 * @param batchSize examples per step
 * @param learningRate peak learning rate of fine-tuning
 * @param frozenLayers layers counted from the input that stay frozen
 * @param warmupFraction share of steps spent warming the learning rate up
 * @param labelSmoothing epsilon of the smoothed targets
 * @param validationCount training examples held back for early stopping
 * @param patience epochs without improvement before stopping
 * @param teacherEpochs epochs adapting the teacher before a re-distillation
 * @param distillEpochs epochs distilling the fresh student
 * @param distillLearningRate peak learning rate of the fresh student
 * @param temperature distillation temperature T
 * @param alpha weight of the hard-label term
 * @param calibrationSamples int8 calibration images, taken from the run's data mix
 * @param threads PyTorch intra-op threads training runs on (and ONNX Runtime's while the gate
 *     measures); {@link #defaultThreads()} leaves half the cores to the services sharing the host
 *     (see {@link dev.osprey.model.runtime.TorchThreads} for why more is slower on a busy host)
 * @throws IllegalArgumentException naming the field when a value is out of range
 */
public record RecipeConfig(
    int epochs, int batchSize, float learningRate, int frozenLayers, float warmupFraction, float labelSmoothing,
    int validationCount, int patience, int teacherEpochs, int distillEpochs, float distillLearningRate,
    float temperature, float alpha, int calibrationSamples, int threads) {

  public RecipeConfig {
    if (frozenLayers < 0) {
      throw new IllegalArgumentException("frozenLayers must be >= 0, got " + frozenLayers);
    }
    if (teacherEpochs < 1 || distillEpochs < 1) {
      throw new IllegalArgumentException("teacherEpochs and distillEpochs must be >= 1, got " + teacherEpochs + ", " + distillEpochs);
    }
    if (!(distillLearningRate > 0 && distillLearningRate < 10)) {
      throw new IllegalArgumentException("distillLearningRate must be in (0, 10), got " + distillLearningRate);
    }
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    if (!(alpha >= 0 && alpha <= 1)) {
      throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
    }
    if (calibrationSamples < 1) {
      throw new IllegalArgumentException("calibrationSamples must be >= 1, got " + calibrationSamples);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    new Hyperparameters(epochs, batchSize, learningRate, warmupFraction, 1e-5f, labelSmoothing, 0, 0f, validationCount,
        patience, 0);
  }

  /** 3 epochs of 128 at LR 3e-4 (10% warmup, cosine), first layer frozen, smoothing 0.05, 1,000 for early stopping (patience 2); re-distill: teacher 2 epochs, student 3 at 1e-3, T 4, alpha 0.1; 1,000 calibration images; {@link #defaultThreads()}. */
  public static RecipeConfig defaults() {
    return new RecipeConfig(3, 128, 3e-4f, 1, 0.1f, 0.05f, 1000, 2, 2, 3, 1e-3f, 4f, 0.1f, 1000, defaultThreads());
  }

  /** Half the available cores, at least 1: the other half stay with inference, the monitor and the broker. */
  public static int defaultThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  public RecipeConfig withThreads(int n) {
    return new RecipeConfig(epochs, batchSize, learningRate, frozenLayers, warmupFraction, labelSmoothing, validationCount,
        patience, teacherEpochs, distillEpochs, distillLearningRate, temperature, alpha, calibrationSamples, n);
  }

  /**
   * Fine-tuning hyperparameters with {@code seed}.
   *
   * @throws IllegalArgumentException if a value is out of {@link Hyperparameters}' range
   */
  public Hyperparameters fineTune(int seed) {
    return new Hyperparameters(epochs, batchSize, learningRate, warmupFraction, 1e-5f, labelSmoothing, 0, 0f,
        validationCount, patience, seed);
  }

  /** The teacher's adaptation before a re-distillation: as fine-tuning, for {@code teacherEpochs}. */
  public Hyperparameters teacher(int seed) {
    return fineTune(seed).withEpochs(teacherEpochs);
  }

  /** The fresh student's distillation: {@code distillEpochs} at {@code distillLearningRate}, no smoothing (soft targets already are). */
  public Hyperparameters distill(int seed) {
    return fineTune(seed).withEpochs(distillEpochs).withLearningRate(distillLearningRate).withLabelSmoothing(0f);
  }
}
