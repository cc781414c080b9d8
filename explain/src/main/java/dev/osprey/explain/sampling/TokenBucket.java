package dev.osprey.explain.sampling;

/**
 * A token bucket: {@code rate} tokens per second up to {@code capacity}, starting full. Time is
 * whatever the caller passes (event time in the explain service); time that goes backwards adds no
 * tokens. Not thread-safe.
 */
public final class TokenBucket {
  private final double ratePerNano;
  private final double capacity;
  private double tokens;
  private long last = Long.MIN_VALUE;

  /**
   * @param ratePerSecond tokens added per second, >= 0 (0: never a token after the first {@code capacity})
   * @param capacity the most tokens held (the burst), >= 1 when the rate is > 0
   * @throws IllegalArgumentException naming the bad value
   */
  public TokenBucket(double ratePerSecond, double capacity) {
    if (!(ratePerSecond >= 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("ratePerSecond must be a finite number >= 0, got " + ratePerSecond);
    }
    if (!(capacity >= 0) || ratePerSecond > 0 && capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1 (>= 0 with rate 0), got " + capacity);
    }
    this.ratePerNano = ratePerSecond / 1e9;
    this.capacity = capacity;
    this.tokens = capacity;
  }

  /** Takes one token at time {@code nanos} if there is one. */
  public boolean tryTake(long nanos) {
    if (last != Long.MIN_VALUE && nanos > last) {
      tokens = Math.min(capacity, tokens + (nanos - last) * ratePerNano);
    }
    last = last == Long.MIN_VALUE ? nanos : Math.max(last, nanos);
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
