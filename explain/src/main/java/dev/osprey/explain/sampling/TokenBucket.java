package dev.osprey.explain.sampling;

import java.util.function.LongSupplier;

/**
 * A token bucket: {@code rate} tokens per second up to {@code capacity}, starting full. Reads time
 * from the given nanosecond clock only (tests pass a fake). Not thread-safe.
 */
public final class TokenBucket {
  private final double ratePerNano;
  private final double capacity;
  private final LongSupplier nanoTime;
  private double tokens;
  private long last;

  /**
   * @param ratePerSecond tokens added per second, >= 0 (0: never a token after the first {@code capacity})
   * @param capacity the most tokens held (the burst), >= 1 when the rate is > 0
   * @throws IllegalArgumentException naming the bad value
   */
  public TokenBucket(double ratePerSecond, double capacity, LongSupplier nanoTime) {
    if (!(ratePerSecond >= 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("ratePerSecond must be a finite number >= 0, got " + ratePerSecond);
    }
    if (!(capacity >= 0) || ratePerSecond > 0 && capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1 (>= 0 with rate 0), got " + capacity);
    }
    this.ratePerNano = ratePerSecond / 1e9;
    this.capacity = capacity;
    this.nanoTime = nanoTime;
    this.tokens = capacity;
    this.last = nanoTime.getAsLong();
  }

  /** Takes one token if there is one. */
  public boolean tryTake() {
    long now = nanoTime.getAsLong();
    tokens = Math.min(capacity, tokens + (now - last) * ratePerNano);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
