package dev.osprey.monitor.quality;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Realized quality of one model version from its outcomes (predictions joined with labels that
 * arrive later): over the last N outcomes, over the predictions of the last T milliseconds (event
 * time: the latest timestamp seen is "now"), and over everything since the version started.
 * Label coverage is labeled predictions over predictions, which needs {@link #onPrediction} for
 * every prediction of the version. Not thread-safe.
 */
public final class OnlineQuality {
  private final QualityConfig config;
  private final int classes;
  private final QualityAggregate total;
  private final QualityAggregate lastN;
  private final QualityAggregate lastT;
  private final ArrayDeque<LabeledOutcome> countWindow = new ArrayDeque<>();
  private final PriorityQueue<LabeledOutcome> timeWindow =
      new PriorityQueue<>((a, b) -> Long.compare(a.predictionTimestamp(), b.predictionTimestamp()));
  private final long bucketMillis;
  private final long[] bucketCounts = new long[QualityConfig.TIME_BUCKETS + 1];
  private final long[] bucketIds = new long[QualityConfig.TIME_BUCKETS + 1];
  private long predictions;
  private long now = Long.MIN_VALUE;

  public OnlineQuality(int classes, QualityConfig config) {
    if (classes < 2) {
      throw new IllegalArgumentException("classes must be >= 2, got " + classes);
    }
    this.config = config;
    this.classes = classes;
    this.total = new QualityAggregate(classes, config.eceBins());
    this.lastN = new QualityAggregate(classes, config.eceBins());
    this.lastT = new QualityAggregate(classes, config.eceBins());
    this.bucketMillis = config.timeWindowMillis() / QualityConfig.TIME_BUCKETS;
    java.util.Arrays.fill(bucketIds, Long.MIN_VALUE);
  }

  /** Counts one prediction of this version (for label coverage). */
  public void onPrediction(long timestamp) {
    predictions++;
    long id = Math.floorDiv(timestamp, bucketMillis);
    int slot = (int) Math.floorMod(id, (long) bucketCounts.length);
    if (bucketIds[slot] != id) {
      bucketIds[slot] = id;
      bucketCounts[slot] = 0;
    }
    bucketCounts[slot]++;
    advance(timestamp);
  }

  /**
   * Adds one labeled prediction to every window.
   *
   * @throws IllegalArgumentException if it names a class this version does not have
   */
  public void onOutcome(LabeledOutcome o) {
    total.add(o);
    lastN.add(o);
    countWindow.addLast(o);
    if (countWindow.size() > config.countWindow()) {
      lastN.remove(countWindow.removeFirst());
    }
    advance(o.predictionTimestamp());
    if (o.predictionTimestamp() > cutoff()) {
      lastT.add(o);
      timeWindow.add(o);
    }
  }

  /** Prediction times at or before this are outside the time window. */
  private long cutoff() {
    return now == Long.MIN_VALUE ? Long.MIN_VALUE : now - config.timeWindowMillis();
  }

  private void advance(long timestamp) {
    if (timestamp <= now) {
      return;
    }
    now = timestamp;
    long cutoff = cutoff();
    while (!timeWindow.isEmpty() && timeWindow.peek().predictionTimestamp() <= cutoff) {
      lastT.remove(timeWindow.poll());
    }
  }

  /** Everything since this version started; coverage = outcomes / predictions. */
  public QualitySnapshot total() {
    return total.snapshot(predictions == 0 ? Double.NaN : Math.min(1, (double) total.count() / predictions));
  }

  /** The last {@code countWindow} outcomes (coverage is not defined for them: NaN). */
  public QualitySnapshot lastOutcomes() {
    return lastN.snapshot(Double.NaN);
  }

  /**
   * Predictions made in the last {@code timeWindowMillis} before the latest timestamp seen;
   * coverage counts predictions at the time buckets' resolution (window / 120).
   */
  public QualitySnapshot lastTime() {
    if (now == Long.MIN_VALUE) {
      return lastT.snapshot(Double.NaN);
    }
    long firstBucket = Math.floorDiv(cutoff(), bucketMillis) + 1;
    long made = 0;
    for (int i = 0; i < bucketIds.length; i++) {
      if (bucketIds[i] >= firstBucket && bucketIds[i] != Long.MIN_VALUE) {
        made += bucketCounts[i];
      }
    }
    return lastT.snapshot(made == 0 ? Double.NaN : Math.min(1, (double) lastT.count() / made));
  }

  /**
   * Everything needed to continue exactly (a restart): the three windows' sums, the outcomes still
   * in the count and time windows (to remove them later), the coverage buckets and the clock.
   */
  public record State(int classes, QualitySums total, QualitySums lastN, QualitySums lastT, List<LabeledOutcome> countWindow,
      List<LabeledOutcome> timeWindow, long[] bucketCounts, long[] bucketIds, long predictions, long now) {}

  public State state() {
    return new State(classes, total.state(), lastN.state(), lastT.state(), new ArrayList<>(countWindow),
        new ArrayList<>(timeWindow), bucketCounts.clone(), bucketIds.clone(), predictions, now);
  }

  /** @throws IllegalArgumentException if the state is not of this version's shape */
  public static OnlineQuality restore(QualityConfig config, State s) {
    OnlineQuality q = new OnlineQuality(s.classes(), config);
    if (s.bucketCounts().length != q.bucketCounts.length) {
      throw new IllegalArgumentException("quality state has " + s.bucketCounts().length + " time buckets");
    }
    q.total.restore(s.total());
    q.lastN.restore(s.lastN());
    q.lastT.restore(s.lastT());
    q.countWindow.addAll(s.countWindow());
    q.timeWindow.addAll(s.timeWindow());
    System.arraycopy(s.bucketCounts(), 0, q.bucketCounts, 0, q.bucketCounts.length);
    System.arraycopy(s.bucketIds(), 0, q.bucketIds, 0, q.bucketIds.length);
    q.predictions = s.predictions();
    q.now = s.now();
    return q;
  }

  /** Classes of this version. */
  public int classes() {
    return classes;
  }

  /** Predictions counted since this version started. */
  public long predictions() {
    return predictions;
  }
}
