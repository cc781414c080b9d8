package dev.osprey.trainer;

/**
 * One epoch of a training run.
 *
 * @param epoch 1-based
 * @param trainLoss mean training loss over the epoch's steps
 * @param trainAccuracy top-1 on the (augmented) training batches
 * @param validationAccuracy top-1 on the held-out split (NaN if there is none)
 * @param learningRate LR at the epoch's last step
 * @param seconds wall time of the epoch including validation
 */
public record EpochStats(
    int epoch, double trainLoss, double trainAccuracy, double validationAccuracy, double learningRate, double seconds) {}
