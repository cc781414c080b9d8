package dev.osprey.trainer;

/**
 * What a training run does per epoch. Validated at construction.
 *
 * @param epochs maximum number of epochs
 * @param batchSize examples per step
 * @param learningRate peak learning rate a0 (Adam)
 * @param warmupFraction share of all steps spent ramping the LR linearly up to a0, before cosine decay
 * @param weightDecay L2 coefficient added to the gradient
 * @param labelSmoothing epsilon: hard targets become (1 - eps) one-hot + eps / classes
 * @param jitterPixels random shift of each training image by up to this many pixels (0 = off)
 * @param noiseStd std of gaussian noise added to normalized training inputs (0 = off)
 * @param validationCount training examples held out for validation / early stopping
 * @param patience epochs without validation improvement before stopping (the best epoch is kept)
 * @param seed seeds DJL's engine (initialization, dropout) and the shuffling/augmentation RNG
 */
public record Hyperparameters(
    int epochs,
    int batchSize,
    float learningRate,
    float warmupFraction,
    float weightDecay,
    float labelSmoothing,
    int jitterPixels,
    float noiseStd,
    int validationCount,
    int patience,
    int seed) {

  public Hyperparameters {
    require(epochs > 0, "epochs", epochs);
    require(batchSize > 0, "batchSize", batchSize);
    require(learningRate > 0 && learningRate < 10, "learningRate", learningRate);
    require(warmupFraction >= 0 && warmupFraction < 1, "warmupFraction", warmupFraction);
    require(weightDecay >= 0, "weightDecay", weightDecay);
    require(labelSmoothing >= 0 && labelSmoothing < 1, "labelSmoothing", labelSmoothing);
    require(jitterPixels >= 0 && jitterPixels <= 8, "jitterPixels", jitterPixels);
    require(noiseStd >= 0, "noiseStd", noiseStd);
    require(validationCount >= 0, "validationCount", validationCount);
    require(patience > 0, "patience", patience);
  }

  /** Defaults for a CNN on MNIST: Adam 1e-3, 5% warmup, cosine, smoothing 0.05, no augmentation. */
  public static Hyperparameters defaults() {
    return new Hyperparameters(5, 128, 1e-3f, 0.05f, 1e-5f, 0.05f, 0, 0f, 1000, 3, 42);
  }

  public Hyperparameters withEpochs(int v) {
    return new Hyperparameters(v, batchSize, learningRate, warmupFraction, weightDecay, labelSmoothing, jitterPixels, noiseStd, validationCount, patience, seed);
  }

  public Hyperparameters withBatchSize(int v) {
    return new Hyperparameters(epochs, v, learningRate, warmupFraction, weightDecay, labelSmoothing, jitterPixels, noiseStd, validationCount, patience, seed);
  }

  public Hyperparameters withLearningRate(float v) {
    return new Hyperparameters(epochs, batchSize, v, warmupFraction, weightDecay, labelSmoothing, jitterPixels, noiseStd, validationCount, patience, seed);
  }

  public Hyperparameters withLabelSmoothing(float v) {
    return new Hyperparameters(epochs, batchSize, learningRate, warmupFraction, weightDecay, v, jitterPixels, noiseStd, validationCount, patience, seed);
  }

  public Hyperparameters withAugmentation(int jitter, float noise) {
    return new Hyperparameters(epochs, batchSize, learningRate, warmupFraction, weightDecay, labelSmoothing, jitter, noise, validationCount, patience, seed);
  }

  public Hyperparameters withValidationCount(int v) {
    return new Hyperparameters(epochs, batchSize, learningRate, warmupFraction, weightDecay, labelSmoothing, jitterPixels, noiseStd, v, patience, seed);
  }

  public Hyperparameters withWeightDecay(float v) {
    return new Hyperparameters(epochs, batchSize, learningRate, warmupFraction, v, labelSmoothing, jitterPixels, noiseStd, validationCount, patience, seed);
  }

  public Hyperparameters withSeed(int v) {
    return new Hyperparameters(epochs, batchSize, learningRate, warmupFraction, weightDecay, labelSmoothing, jitterPixels, noiseStd, validationCount, patience, v);
  }

  private static void require(boolean ok, String field, Object value) {
    if (!ok) {
      throw new IllegalArgumentException("invalid " + field + ": " + value);
    }
  }
}
