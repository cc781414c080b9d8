package dev.osprey.monitor.quality;

/**
 * The exact sums behind one quality window (a restart continues from them): counts per class and
 * confidence bin, and the running sums of the averaged figures.
 */
public record QualitySums(long count, long correct, long[] support, long[] hits, long[] binCount, long[] binCorrect,
    double[] binConfidence, double logLoss, double delayMillis, double confidence) {}
