package dev.osprey.monitor.drift;

/** What every drift test shares: its name and a validated window size. */
abstract class WindowedTest implements DriftTest {
  private final String name;
  protected final int window;

  WindowedTest(String name, int window) {
    if (window < 2) {
      throw new IllegalArgumentException(name + ": window must be >= 2, got " + window);
    }
    this.name = name;
    this.window = window;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final int windowSize() {
    return window;
  }

  /** A statistic that remembers its latest value. */
  abstract static class Valued implements WindowStatistic {
    protected double value;

    @Override
    public final double value() {
      return value;
    }
  }
}
