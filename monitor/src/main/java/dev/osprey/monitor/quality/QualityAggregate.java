package dev.osprey.monitor.quality;

/**
 * Sums over a set of outcomes that can be added to and removed from (so a sliding window costs
 * O(classes + bins) per outcome): accuracy, per-class recall, ECE bins, log-loss, delay.
 * Counts are exact integers, so windowed accuracy equals the offline figure exactly.
 */
final class QualityAggregate {
  /** Probabilities are floored here before the log, so one confident mistake is large, not infinite. */
  static final double MIN_PROBABILITY = 1e-15;

  private final int classes;
  private final int bins;
  private long count;
  private long correct;
  private final long[] support;
  private final long[] hits;
  private final long[] binCount;
  private final long[] binCorrect;
  private final double[] binConfidence;
  private double logLoss;
  private double delayMillis;
  private double confidence;

  QualityAggregate(int classes, int bins) {
    this.classes = classes;
    this.bins = bins;
    this.support = new long[classes];
    this.hits = new long[classes];
    this.binCount = new long[bins];
    this.binCorrect = new long[bins];
    this.binConfidence = new double[bins];
  }

  void add(LabeledOutcome o) {
    apply(o, 1);
  }

  void remove(LabeledOutcome o) {
    apply(o, -1);
  }

  private void apply(LabeledOutcome o, int sign) {
    if (o.actual() >= classes || o.predicted() >= classes) {
      throw new IllegalArgumentException("outcome " + o.sampleId() + " names a class outside 0.." + (classes - 1));
    }
    int ok = o.correct() ? 1 : 0;
    count += sign;
    correct += sign * ok;
    support[o.actual()] += sign;
    hits[o.actual()] += sign * ok;
    int b = Math.min(bins - 1, (int) (o.confidence() * bins));
    binCount[b] += sign;
    binCorrect[b] += sign * ok;
    binConfidence[b] += sign * (double) o.confidence();
    logLoss += sign * -Math.log(Math.max(MIN_PROBABILITY, o.labelProbability()));
    delayMillis += sign * (double) o.delayMillis();
    confidence += sign * (double) o.confidence();
  }

  /** Adds another aggregate's outcomes (of the same shape): the sum of two disjoint sets. */
  void add(QualityAggregate other) {
    count += other.count;
    correct += other.correct;
    for (int c = 0; c < classes; c++) {
      support[c] += other.support[c];
      hits[c] += other.hits[c];
    }
    for (int b = 0; b < bins; b++) {
      binCount[b] += other.binCount[b];
      binCorrect[b] += other.binCorrect[b];
      binConfidence[b] += other.binConfidence[b];
    }
    logLoss += other.logLoss;
    delayMillis += other.delayMillis;
    confidence += other.confidence;
  }

  /** Forgets every outcome. */
  void clear() {
    count = 0;
    correct = 0;
    java.util.Arrays.fill(support, 0);
    java.util.Arrays.fill(hits, 0);
    java.util.Arrays.fill(binCount, 0);
    java.util.Arrays.fill(binCorrect, 0);
    java.util.Arrays.fill(binConfidence, 0);
    logLoss = 0;
    delayMillis = 0;
    confidence = 0;
  }

  long count() {
    return count;
  }

  QualitySums state() {
    return new QualitySums(count, correct, support.clone(), hits.clone(), binCount.clone(), binCorrect.clone(),
        binConfidence.clone(), logLoss, delayMillis, confidence);
  }

  void restore(QualitySums s) {
    if (s.support().length != classes || s.binCount().length != bins) {
      throw new IllegalArgumentException("quality state has " + s.support().length + " classes and "
          + s.binCount().length + " bins, expected " + classes + " and " + bins);
    }
    count = s.count();
    correct = s.correct();
    System.arraycopy(s.support(), 0, support, 0, classes);
    System.arraycopy(s.hits(), 0, hits, 0, classes);
    System.arraycopy(s.binCount(), 0, binCount, 0, bins);
    System.arraycopy(s.binCorrect(), 0, binCorrect, 0, bins);
    System.arraycopy(s.binConfidence(), 0, binConfidence, 0, bins);
    logLoss = s.logLoss();
    delayMillis = s.delayMillis();
    confidence = s.confidence();
  }

  /** What these outcomes say; NaN where there is nothing to average. */
  QualitySnapshot snapshot(double coverage) {
    double[] recall = new double[classes];
    for (int c = 0; c < classes; c++) {
      recall[c] = support[c] == 0 ? Double.NaN : (double) hits[c] / support[c];
    }
    double ece = 0;
    for (int b = 0; b < bins; b++) {
      if (binCount[b] > 0) {
        ece += Math.abs((double) binCorrect[b] - binConfidence[b]) / count;
      }
    }
    double n = count;
    return new QualitySnapshot(count, count == 0 ? Double.NaN : correct / n, recall, count == 0 ? Double.NaN : ece,
        count == 0 ? Double.NaN : logLoss / n, count == 0 ? Double.NaN : confidence / n, coverage,
        count == 0 ? Double.NaN : delayMillis / n);
  }
}
