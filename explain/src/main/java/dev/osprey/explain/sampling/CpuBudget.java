package dev.osprey.explain.sampling;

import java.time.Duration;

/**
 * A ceiling on the CPU the explain service spends explaining: a token bucket whose tokens are
 * nanoseconds of CPU, refilled at {@code cores} CPU-seconds per second of processing (wall) time
 * and holding at most {@code cores x window}. Each explanation is charged the CPU time it actually
 * took (measured by the caller, e.g. the worker thread's CPU time); the bucket may go into debt by
 * the cost of the last explanation, and nothing more is admitted until it is paid back, so over any
 * stretch of time the CPU spent explaining is at most {@code cores x (time + window)} plus one
 * explanation.
 *
 * <p>Priority: the always-explain rules ({@link Trigger#LOW_CONFIDENCE}, {@link Trigger#WRONG},
 * {@link Trigger#DRIFT}) are admitted while the bucket holds any CPU; the uniform sample
 * ({@link Trigger#SAMPLED}) only while it is at least half full, so when the rules alone use up
 * the budget the rate sample yields to them. {@link Trigger#REQUEST} (someone asked) is always
 * admitted and charged.
 *
 * <p>Unlike the sampling policy, this runs on processing time: its purpose is to protect the
 * machine (the inference service beside it), so which predictions it skips depends on how fast
 * this machine explains. Pure (times passed in); not thread-safe.
 */
public final class CpuBudget {

  /**
   * @param cores CPU share of one core the explanations may use on average, > 0; or 0 for no budget
   * @param window how long a full bucket lasts at that share (the burst is {@code cores x window}), > 0
   */
  public record Config(double cores, Duration window) {
    /** @throws IllegalArgumentException naming the field and value */
    public Config {
      if (!(cores >= 0) || Double.isInfinite(cores)) {
        throw new IllegalArgumentException("cores must be a finite number >= 0 (0: no budget), got " + cores);
      }
      if (window == null || window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("window must be > 0, got " + window);
      }
    }

    /**
     * 0.05 of a core, averaged over 2 s: with the default sampling policy beside a saturated
     * inference service on 2 cores the explain threads took 12-14% of the process's CPU
     * (docs/benchmarks.md §5; at 0.1 of a core, 17-21%).
     */
    public static Config defaults() {
      return new Config(0.05, Duration.ofSeconds(2));
    }

    /** No ceiling: every chosen prediction is explained. */
    public static Config off() {
      return new Config(0, Duration.ofSeconds(2));
    }

    public boolean enabled() {
      return cores > 0;
    }

    /** The bucket's capacity in CPU nanoseconds. */
    long capacityNanos() {
      return (long) (cores * window.toNanos());
    }
  }

  private final Config config;
  private final double capacity;
  private double tokens;
  private long last = Long.MIN_VALUE;
  private long spent;

  public CpuBudget(Config config) {
    this.config = config;
    this.capacity = config.capacityNanos();
    this.tokens = capacity;
  }

  public Config config() {
    return config;
  }

  /**
   * Whether an explanation with this trigger may run now ({@code wallNanos}, a monotonic clock).
   * Always true when the budget is off.
   */
  public boolean admits(Trigger trigger, long wallNanos) {
    if (!config.enabled() || trigger == Trigger.REQUEST) {
      return true;
    }
    refill(wallNanos);
    return trigger == Trigger.SAMPLED ? tokens >= capacity / 2 : tokens > 0;
  }

  /** Charges {@code cpuNanos} of CPU spent explaining, at {@code wallNanos}. */
  public void charge(long cpuNanos, long wallNanos) {
    if (cpuNanos <= 0) {
      return;
    }
    spent += cpuNanos;
    if (config.enabled()) {
      refill(wallNanos);
      tokens -= cpuNanos;
    }
  }

  /** CPU nanoseconds the bucket holds now (negative: in debt), as of the last call. */
  public double tokensNanos() {
    return tokens;
  }

  /** CPU nanoseconds charged so far. */
  public long spentNanos() {
    return spent;
  }

  private void refill(long wallNanos) {
    if (last != Long.MIN_VALUE && wallNanos > last) {
      tokens = Math.min(capacity, tokens + (wallNanos - last) * config.cores());
    }
    last = last == Long.MIN_VALUE ? wallNanos : Math.max(last, wallNanos);
  }
}
