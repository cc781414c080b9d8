package dev.osprey.monitor.drift;

import dev.osprey.core.data.InputSummaryReference;
import dev.osprey.model.registry.ReferenceProfile;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The drift detectors of one model's prediction stream, fed one prediction at a time. A model
 * swap calls {@link #reset}: every window restarts against the new version's reference (prefilled
 * with its draws) and the stream position starts again at 0. Calibrations of recent references
 * are kept, so swapping back and forth does not recalibrate. Not thread-safe.
 */
public final class DriftMonitor {
  private static final int CALIBRATION_CACHE = 4;

  private final DriftConfig config;
  private final Map<Object, CalibratedDetectors> cache =
      new LinkedHashMap<>(CALIBRATION_CACHE, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Object, CalibratedDetectors> e) {
          return size() > CALIBRATION_CACHE;
        }
      };
  private List<OnlineDriftDetector> detectors = List.of();
  private long samplesSeen;
  private long resets;

  public DriftMonitor(DriftConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  public DriftConfig config() {
    return config;
  }

  /** Restarts against {@code profile} (no input-summary detector). */
  public void reset(ReferenceProfile profile) {
    reset(profile, null);
  }

  /** Restarts against {@code profile} and, when not null, the input summaries' reference. */
  public void reset(ReferenceProfile profile, InputSummaryReference inputs) {
    Objects.requireNonNull(profile, "profile");
    List<Object> key = new ArrayList<>(2);
    key.add(profile);
    key.add(inputs);
    CalibratedDetectors c = cache.get(key);
    if (c == null) {
      c = CalibratedDetectors.calibrate(config, profile, inputs, name -> {});
      cache.put(key, c);
    }
    reset(c);
  }

  /** Restarts with detectors calibrated beforehand. */
  public void reset(CalibratedDetectors calibrated) {
    List<OnlineDriftDetector> d = new ArrayList<>();
    resets++;
    for (int i = 0; i < calibrated.tests().size(); i++) {
      CalibratedDetectors.Calibrated c = calibrated.tests().get(i);
      d.add(new OnlineDriftDetector(c.test(), c.calibration(), calibrated.config().clearAfter(), seed(i)));
    }
    detectors = List.copyOf(d);
    samplesSeen = 0;
  }

  // A detector's prefill seed: differs per reset, so a reset draws a fresh prefill.
  private long seed(int detector) {
    return config.seed() + 7919L * resets + detector;
  }

  /**
   * Everything the monitor needs to continue after a restart, given the same calibration.
   *
   * @param resets resets so far (they seed the prefills)
   * @param samplesSeen predictions observed since the last reset
   * @param detectors each detector's state, in the calibration's order
   */
  public record State(long resets, long samplesSeen, List<OnlineDriftDetector.State> detectors) {}

  /** The current state (see {@link OnlineDriftDetector#state()}). */
  public State state() {
    return new State(resets, samplesSeen, detectors.stream().map(OnlineDriftDetector::state).toList());
  }

  /**
   * Continues from {@code state}, saved by a monitor that was last reset with {@code calibrated}:
   * the same detectors, seeds and windows, so the alarms that follow are the ones the saved
   * monitor would have raised.
   *
   * @throws IllegalArgumentException if the state does not fit the calibration
   */
  public void restore(CalibratedDetectors calibrated, State state) {
    if (state.detectors().size() != calibrated.tests().size()) {
      throw new IllegalArgumentException("state has " + state.detectors().size() + " detectors, calibration "
          + calibrated.tests().size());
    }
    resets = state.resets();
    List<OnlineDriftDetector> d = new ArrayList<>();
    for (int i = 0; i < calibrated.tests().size(); i++) {
      CalibratedDetectors.Calibrated c = calibrated.tests().get(i);
      d.add(OnlineDriftDetector.restore(c.test(), c.calibration(), calibrated.config().clearAfter(), seed(i),
          state.detectors().get(i)));
    }
    detectors = List.copyOf(d);
    samplesSeen = state.samplesSeen();
  }

  /**
   * Feeds one prediction to every detector that reads it.
   *
   * @return the alarms starting or ending at this prediction (usually none)
   * @throws IllegalStateException before the first {@link #reset}
   */
  public List<DriftEvent> observe(Observation o) {
    if (detectors.isEmpty()) {
      throw new IllegalStateException("no reference yet: call reset with the serving version's profile first");
    }
    samplesSeen++;
    List<DriftEvent> events = null;
    for (OnlineDriftDetector d : detectors) {
      if (d.accepts(o)) {
        DriftEvent e = d.observe(o);
        if (e != null) {
          if (events == null) {
            events = new ArrayList<>(2);
          }
          events.add(e);
        }
      }
    }
    return events == null ? List.of() : events;
  }

  /** Whether any detector is in alarm. */
  public boolean alarm() {
    for (OnlineDriftDetector d : detectors) {
      if (d.alarm()) {
        return true;
      }
    }
    return false;
  }

  /** The running detectors (for statistics, thresholds and alarm states). */
  public List<OnlineDriftDetector> detectors() {
    return detectors;
  }

  /** Resets so far. */
  public long resets() {
    return resets;
  }

  /** Predictions observed since the last reset. */
  public long samplesSeen() {
    return samplesSeen;
  }
}
