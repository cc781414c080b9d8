package dev.osprey.monitor.quality;

/**
 * Windows of online quality.
 *
 * @param countWindow the last N outcomes (by arrival)
 * @param timeWindowMillis outcomes whose prediction was made in the last T milliseconds, kept as
 *     sums per bucket of {@link #bucketMillis()} (T / 120, rounded up): the window is the buckets
 *     that start after {@code now - T}
 * @param eceBins equal-width confidence bins of the ECE
 */
public record QualityConfig(int countWindow, long timeWindowMillis, int eceBins) {
  /** Buckets the prediction counts of the time window are kept in. */
  static final int TIME_BUCKETS = 120;

  /** @throws IllegalArgumentException naming the field and the value */
  public QualityConfig {
    if (countWindow < 1) {
      throw new IllegalArgumentException("countWindow must be >= 1, got " + countWindow);
    }
    if (timeWindowMillis < TIME_BUCKETS) {
      throw new IllegalArgumentException("timeWindowMillis must be >= " + TIME_BUCKETS + ", got " + timeWindowMillis);
    }
    if (eceBins < 1) {
      throw new IllegalArgumentException("eceBins must be >= 1, got " + eceBins);
    }
  }

  /** Width of the time window's buckets: T / {@value #TIME_BUCKETS}, rounded up, so T spans at most 120. */
  public long bucketMillis() {
    return (timeWindowMillis + TIME_BUCKETS - 1) / TIME_BUCKETS;
  }

  /** Time buckets kept (the window's, plus one being reused). */
  public int timeBuckets() {
    return TIME_BUCKETS + 1;
  }

  /** Last 1,000 outcomes, last 10 minutes, 15 ECE bins. */
  public static QualityConfig defaults() {
    return new QualityConfig(1000, 600_000, 15);
  }
}
