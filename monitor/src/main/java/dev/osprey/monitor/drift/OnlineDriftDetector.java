package dev.osprey.monitor.drift;

import java.util.SplittableRandom;

/**
 * One calibrated drift test running on a live stream: feeds its window statistic, raises and
 * clears alarms with {@link AlarmLatch}, and estimates where the drift began. Not thread-safe.
 */
public final class OnlineDriftDetector {
  private static final int PREFILL_TRIES = 20;

  private final DriftTest test;
  private final ThresholdCalibration calibration;
  private final int clearAfter;
  private final WindowStatistic statistic;
  private final AlarmLatch latch;
  private final String[] recentIds;
  private long samplesSeen;
  private long lastAtBaseline = -1;
  private long onset = -1;
  private String onsetId;

  /**
   * Starts the test against its reference with a prefilled window; a prefill whose statistic
   * already exceeds the threshold is drawn again (as Alibi Detect does), so a reset cannot alarm
   * on its own draw.
   */
  public OnlineDriftDetector(DriftTest test, ThresholdCalibration calibration, int clearAfter, long seed) {
    this.test = test;
    this.calibration = calibration;
    this.clearAfter = clearAfter;
    SplittableRandom rnd = new SplittableRandom(seed);
    WindowStatistic s = test.start(rnd);
    for (int i = 1; i < PREFILL_TRIES && s.value() > calibration.threshold(); i++) {
      s = test.start(rnd);
    }
    this.statistic = s;
    this.latch = new AlarmLatch(calibration.threshold(), clearAfter);
    this.recentIds = new String[4 * test.windowSize()];
  }

  public String name() {
    return test.name();
  }

  public DriftTest test() {
    return test;
  }

  public ThresholdCalibration calibration() {
    return calibration;
  }

  /** Whether the detector reads this observation (e.g. it carries an embedding). */
  public boolean accepts(Observation o) {
    return test.accepts(o);
  }

  /**
   * Feeds one observation the detector {@link #accepts}.
   *
   * @return the alarm starting or ending at this sample, or null
   */
  public DriftEvent observe(Observation o) {
    long index = samplesSeen++;
    recentIds[(int) (index % recentIds.length)] = o.sampleId();
    double value = statistic.update(o);
    if (value <= calibration.nullMedian()) {
      lastAtBaseline = index;
    }
    return switch (latch.update(value)) {
      case NONE -> null;
      case RAISED -> {
        onset = lastAtBaseline + 1;
        onsetId = index - onset < recentIds.length ? recentIds[(int) (onset % recentIds.length)] : null;
        yield event(DriftEvent.State.ALARM, value);
      }
      case CLEARED -> event(DriftEvent.State.CLEAR, value);
    };
  }

  private DriftEvent event(DriftEvent.State state, double value) {
    return new DriftEvent(test.name(), state, value, calibration.threshold(), test.windowSize(),
        calibration.ertSamples(), samplesSeen, onset, onsetId, statistic.details());
  }

  public boolean alarm() {
    return latch.alarm();
  }

  public double statistic() {
    return statistic.value();
  }

  public double threshold() {
    return calibration.threshold();
  }

  public long samplesSeen() {
    return samplesSeen;
  }

  int clearAfter() {
    return clearAfter;
  }
}
