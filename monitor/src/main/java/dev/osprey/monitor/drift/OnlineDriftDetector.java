package dev.osprey.monitor.drift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
  // the window's observations, for a state snapshot: the statistic is rebuilt by replaying them
  private final Observation[] window;
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
    this.window = new Observation[test.windowSize()];
  }

  /**
   * What a detector needs to continue exactly where it was (with the same test, calibration,
   * clear rule and seed): its counters, alarm state and recent ids, and the observations in its
   * window, oldest first (at most one window; fewer when it has seen fewer since its start).
   */
  public record State(long samplesSeen, long lastAtBaseline, long onset, String onsetId, boolean alarm,
      int quietSteps, List<String> recentIds, List<Observation> window) {}

  /** This detector's state (the observations are shared, not copied: they are never modified). */
  public State state() {
    int held = (int) Math.min(samplesSeen, window.length);
    List<Observation> w = new ArrayList<>(held);
    for (long i = samplesSeen - held; i < samplesSeen; i++) {
      w.add(window[(int) (i % window.length)]);
    }
    return new State(samplesSeen, lastAtBaseline, onset, onsetId, latch.alarm(), latch.quietSteps(),
        Arrays.asList(recentIds.clone()), w);
  }

  /**
   * A detector continuing from {@code state}: started as the constructor does (same seed, so the
   * same prefill), its window's observations replayed into the statistic, then its counters and
   * alarm state set. The statistic equals the original's (integer-count tests exactly; the MMD's
   * running sums to rounding).
   *
   * @throws IllegalArgumentException if the state does not fit this test
   */
  public static OnlineDriftDetector restore(DriftTest test, ThresholdCalibration calibration, int clearAfter, long seed,
      State state) {
    OnlineDriftDetector d = new OnlineDriftDetector(test, calibration, clearAfter, seed);
    if (state.window().size() > d.window.length || state.recentIds().size() != d.recentIds.length
        || state.window().size() != Math.min(state.samplesSeen(), d.window.length)) {
      throw new IllegalArgumentException("state of " + test.name() + " does not fit a window of " + d.window.length);
    }
    long first = state.samplesSeen() - state.window().size();
    for (int i = 0; i < state.window().size(); i++) {
      Observation o = state.window().get(i);
      d.statistic.update(o);
      d.window[(int) ((first + i) % d.window.length)] = o;
    }
    d.samplesSeen = state.samplesSeen();
    d.lastAtBaseline = state.lastAtBaseline();
    d.onset = state.onset();
    d.onsetId = state.onsetId();
    d.latch.restore(state.alarm(), state.quietSteps());
    for (int i = 0; i < d.recentIds.length; i++) {
      d.recentIds[i] = state.recentIds().get(i);
    }
    return d;
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
    window[(int) (index % window.length)] = o;
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
