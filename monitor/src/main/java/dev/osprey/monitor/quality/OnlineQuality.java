package dev.osprey.monitor.quality;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
  private final ArrayDeque<LabeledOutcome> countWindow = new ArrayDeque<>();
  private final long bucketMillis;
  // the time window, one slot per bucket of bucketMillis: its id (start / bucketMillis), the
  // predictions made in it and the sums of the outcomes of those predictions. A slot whose id is
  // older than the window is stale and reused by the next bucket that maps to it.
  private final long[] bucketIds = new long[QualityConfig.TIME_BUCKETS + 1];
  private final long[] bucketCounts = new long[QualityConfig.TIME_BUCKETS + 1];
  private final QualityAggregate[] bucketSums = new QualityAggregate[QualityConfig.TIME_BUCKETS + 1];
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
    this.bucketMillis = config.bucketMillis();
    Arrays.fill(bucketIds, Long.MIN_VALUE);
    for (int i = 0; i < bucketSums.length; i++) {
      bucketSums[i] = new QualityAggregate(classes, config.eceBins());
    }
  }

  /** Counts one prediction of this version (for label coverage). */
  public void onPrediction(long timestamp) {
    predictions++;
    advance(timestamp);
    int slot = slot(timestamp);
    if (slot >= 0) {
      bucketCounts[slot]++;
    }
  }

  /**
   * Adds one labeled prediction to every window (to the time window if its prediction's bucket is
   * still in it).
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
    int slot = slot(o.predictionTimestamp());
    if (slot >= 0) {
      bucketSums[slot].add(o);
    }
  }

  private void advance(long timestamp) {
    now = Math.max(now, timestamp);
  }

  /** The oldest bucket in the time window: the first that starts after {@code now - T}. */
  private long firstBucket() {
    return now == Long.MIN_VALUE ? Long.MIN_VALUE : Math.floorDiv(now - config.timeWindowMillis(), bucketMillis) + 1;
  }

  /** The slot of the bucket of this time, emptied if it held an older bucket; -1 if before the window. */
  private int slot(long timestamp) {
    long id = Math.floorDiv(timestamp, bucketMillis);
    if (id < firstBucket()) {
      return -1;
    }
    int slot = (int) Math.floorMod(id, (long) bucketIds.length);
    if (bucketIds[slot] != id) {
      bucketIds[slot] = id;
      bucketCounts[slot] = 0;
      bucketSums[slot].clear();
    }
    return slot;
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
   * Predictions made in the time window, at the resolution of its buckets ({@code window / 120}):
   * the buckets that start after {@code now - T}, where now is the latest timestamp seen, so
   * between {@code T - T/120} and {@code T} of predictions; their outcomes and their coverage
   * (outcomes / predictions of the same buckets).
   */
  public QualitySnapshot lastTime() {
    QualityAggregate sum = new QualityAggregate(classes, config.eceBins());
    long made = 0;
    long first = firstBucket();
    for (int i = 0; i < bucketIds.length; i++) {
      if (bucketIds[i] != Long.MIN_VALUE && bucketIds[i] >= first) {
        made += bucketCounts[i];
        sum.add(bucketSums[i]);
      }
    }
    return sum.snapshot(made == 0 ? Double.NaN : Math.min(1, (double) sum.count() / made));
  }

  /**
   * Everything needed to continue exactly (a restart): the total and count-window sums, the
   * outcomes still in the count window (to remove them later; saved without their sample ids, which
   * nothing reads), the time buckets (id, predictions, outcome sums; null sums for a bucket without
   * outcomes) and the clock. Its size is bounded by the count window and the 121 buckets, whatever
   * the traffic.
   */
  public record State(int classes, QualitySums total, QualitySums lastN, List<LabeledOutcome> countWindow,
      long[] bucketIds, long[] bucketCounts, List<QualitySums> bucketSums, long predictions, long now) {}

  public State state() {
    List<LabeledOutcome> window = new ArrayList<>(countWindow.size());
    for (LabeledOutcome o : countWindow) {
      window.add(new LabeledOutcome("", o.predicted(), o.actual(), o.confidence(), o.labelProbability(),
          o.predictionTimestamp(), o.delayMillis()));
    }
    List<QualitySums> sums = new ArrayList<>(bucketSums.length);
    for (QualityAggregate b : bucketSums) {
      sums.add(b.count() == 0 ? null : b.state());
    }
    return new State(classes, total.state(), lastN.state(), window, bucketIds.clone(), bucketCounts.clone(), sums,
        predictions, now);
  }

  /** @throws IllegalArgumentException if the state is not of this version's shape */
  public static OnlineQuality restore(QualityConfig config, State s) {
    OnlineQuality q = new OnlineQuality(s.classes(), config);
    int n = q.bucketIds.length;
    if (s.bucketIds() == null || s.bucketIds().length != n || s.bucketCounts() == null
        || s.bucketCounts().length != n || s.bucketSums() == null || s.bucketSums().size() != n) {
      throw new IllegalArgumentException("quality state does not have " + n + " time buckets");
    }
    q.total.restore(s.total());
    q.lastN.restore(s.lastN());
    q.countWindow.addAll(s.countWindow());
    System.arraycopy(s.bucketIds(), 0, q.bucketIds, 0, n);
    System.arraycopy(s.bucketCounts(), 0, q.bucketCounts, 0, n);
    for (int i = 0; i < n; i++) {
      if (s.bucketSums().get(i) != null) {
        q.bucketSums[i].restore(s.bucketSums().get(i));
      }
    }
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
