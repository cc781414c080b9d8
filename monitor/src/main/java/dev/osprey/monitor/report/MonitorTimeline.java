package dev.osprey.monitor.report;

import dev.osprey.core.data.InputSummaries;
import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.RunTransition;
import dev.osprey.core.event.Sample;
import dev.osprey.model.registry.CalibrationMap;
import dev.osprey.monitor.drift.CalibratedDetectors;
import dev.osprey.monitor.drift.DriftMonitor;
import dev.osprey.monitor.drift.Observation;
import dev.osprey.monitor.drift.OnlineDriftDetector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * What one model's monitoring looked like over its prediction stream, as numbers a chart (or a
 * test) reads: x is the <em>sample index</em>, the position of a prediction among the model's
 * predictions in log order (0, 1, 2, ...).
 *
 * <ul>
 *   <li>{@link #realizedAccuracy()}: accuracy of the last {@code accuracyWindow} outcomes (from
 *       {@code osprey.outcomes}), ordered by their prediction's index, at that index;
 *   <li>{@link #estimatedAccuracy()}: CBPE, the mean calibrated confidence of the last
 *       {@code accuracyWindow} predictions, with each version's calibration map;
 *   <li>{@link #scores()}: per detector, its statistic and threshold, recomputed by running the
 *       version's calibrated detectors over the predictions (when a detector source is given);
 *   <li>{@link #alarms()}: the alarm spans the monitor reported on {@code osprey.drift};
 *   <li>{@link #versions()}: which version served which index range;
 *   <li>{@link #runs()}: retraining runs' steps from {@code osprey.runs} (triggers, promotions,
 *       rollbacks), placed at the first prediction made at or after them.
 * </ul>
 *
 * <p>Built by a {@link Builder} fed each topic's records in log order: samples first (input
 * summaries, optional), then predictions, then outcomes, drift reports and runs in any order.
 */
public record MonitorTimeline(String model, long predictions, List<Point> realizedAccuracy, List<Point> estimatedAccuracy,
    Map<String, List<Score>> scores, List<AlarmSpan> alarms, List<VersionSpan> versions, List<RunMark> runs) {

  /** One value at a sample index. */
  public record Point(long index, double value) {}

  /** A detector's statistic and its threshold at a sample index. */
  public record Score(long index, double statistic, double threshold) {
    /** Statistic over threshold: above 1 is over the line. */
    public double ratio() {
      return threshold > 0 ? statistic / threshold : 0;
    }
  }

  /**
   * An alarm of one detector, as the monitor reported it.
   *
   * @param start index of the prediction that raised it
   * @param end index of the prediction that cleared it, or -1 while it was still raised at the end
   * @param onset index of the estimated first drifted sample, or -1 when not among the predictions
   */
  public record AlarmSpan(String detector, int modelVersion, long start, long end, long onset, double statistic,
      double threshold) {}

  /** A version served predictions {@code start..end} (inclusive). */
  public record VersionSpan(int version, long start, long end) {}

  /** A run's step, at the first prediction made at or after it. */
  public record RunMark(long index, String runId, RunPhase phase, int version) {}

  public MonitorTimeline {
    realizedAccuracy = List.copyOf(realizedAccuracy);
    estimatedAccuracy = List.copyOf(estimatedAccuracy);
    Map<String, List<Score>> s = new LinkedHashMap<>();
    scores.forEach((k, v) -> s.put(k, List.copyOf(v)));
    scores = java.util.Collections.unmodifiableMap(s);
    alarms = List.copyOf(alarms);
    versions = List.copyOf(versions);
    runs = List.copyOf(runs);
  }

  /** The detectors that appear in scores or alarms, in first-seen order. */
  public List<String> detectors() {
    List<String> out = new ArrayList<>(scores.keySet());
    for (AlarmSpan a : alarms) {
      if (!out.contains(a.detector())) {
        out.add(a.detector());
      }
    }
    return out;
  }

  public static Builder builder(String model) {
    return new Builder(model);
  }

  /** Collects one model's records; not thread-safe. */
  public static final class Builder {
    private final String model;
    private int accuracyWindow = 200;
    private int step = 10;
    private IntFunction<CalibrationMap> cbpe = v -> CalibrationMap.identity();
    private IntFunction<CalibratedDetectors> detectorSource;

    // the prediction stream
    private long count;
    private final Map<String, Long> indexOfSample = new HashMap<>();
    private final List<Long> timestamps = new ArrayList<>();
    private final List<VersionSpan> versions = new ArrayList<>();
    private final Map<String, float[]> summaries = new HashMap<>();
    // CBPE
    private final ArrayDeque<Double> estimateWindow = new ArrayDeque<>();
    private double estimateSum;
    private final Map<Integer, CalibrationMap> cbpeMaps = new HashMap<>();
    private final List<Point> estimated = new ArrayList<>();
    // recomputed detector scores
    private DriftMonitor drift;
    private int driftVersion = -1;
    private long seenSinceReset;
    private final Map<String, List<Score>> scores = new LinkedHashMap<>();
    // other topics
    private final List<Outcome> outcomes = new ArrayList<>();
    private final List<DriftReport> reports = new ArrayList<>();
    private final List<RunTransition> runs = new ArrayList<>();

    private Builder(String model) {
      this.model = Objects.requireNonNull(model, "model");
    }

    /** Outcomes and predictions averaged by the accuracy curves (default 200). */
    public Builder optAccuracyWindow(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("accuracy window must be >= 1, got " + n);
      }
      accuracyWindow = n;
      return this;
    }

    /** Every how many predictions a point of the estimated accuracy and of the scores is kept (default 10). */
    public Builder optStep(int every) {
      if (every < 1) {
        throw new IllegalArgumentException("step must be >= 1, got " + every);
      }
      step = every;
      return this;
    }

    /** Each version's CBPE map (default: the identity, the model taken as calibrated). */
    public Builder optCbpe(IntFunction<CalibrationMap> maps) {
      cbpe = Objects.requireNonNull(maps, "maps");
      return this;
    }

    /**
     * Recompute the detectors' statistics over the predictions: each version's calibrated detectors
     * (the monitor's own, e.g. from its {@code ReferenceCatalog}), or null for a version without.
     */
    public Builder optDetectors(IntFunction<CalibratedDetectors> source) {
      detectorSource = source;
      return this;
    }

    /** A sample, for its input summary (before its prediction; only used by recomputed detectors). */
    public Builder sample(Sample s) {
      if (detectorSource != null && s.tensor() != null && s.tensor().shape().size() >= 2) {
        summaries.put(s.id(), InputSummaries.of(s.tensor()));
      }
      return this;
    }

    /** The next prediction in log order; other models' predictions are ignored. */
    public Builder prediction(Prediction p) {
      if (!model.equals(p.modelName())) {
        return this;
      }
      long index = count++;
      indexOfSample.putIfAbsent(p.sampleId(), index);
      timestamps.add(p.timestamp());
      VersionSpan last = versions.isEmpty() ? null : versions.get(versions.size() - 1);
      if (last != null && last.version() == p.modelVersion()) {
        versions.set(versions.size() - 1, new VersionSpan(last.version(), last.start(), index));
      } else {
        versions.add(new VersionSpan(p.modelVersion(), index, index));
      }
      double c = cbpeMaps.computeIfAbsent(p.modelVersion(), cbpe::apply).apply(p.confidence());
      estimateWindow.addLast(c);
      estimateSum += c;
      if (estimateWindow.size() > accuracyWindow) {
        estimateSum -= estimateWindow.removeFirst();
      }
      boolean sampled = index % step == 0;
      if (sampled) {
        estimated.add(new Point(index, estimateSum / estimateWindow.size()));
      }
      if (detectorSource != null) {
        observe(p, index, sampled);
      }
      return this;
    }

    private void observe(Prediction p, long index, boolean sampled) {
      if (p.modelVersion() != driftVersion) {
        // as the monitor: predictions of the version just left, within a window of the swap, are stragglers
        if (drift != null && seenSinceReset < drift.config().windowSize() && p.modelVersion() < driftVersion) {
          return;
        }
        CalibratedDetectors calibrated = detectorSource.apply(p.modelVersion());
        driftVersion = p.modelVersion();
        seenSinceReset = 0;
        if (calibrated == null) {
          drift = null;
          return;
        }
        drift = new DriftMonitor(calibrated.config());
        drift.reset(calibrated);
      }
      if (drift == null || p.probabilities().isEmpty()) {
        return;
      }
      float[] probabilities = new float[p.probabilities().size()];
      for (int i = 0; i < probabilities.length; i++) {
        probabilities[i] = p.probabilities().get(i);
      }
      Observation o = Observation.of(p.sampleId(), probabilities);
      if (p.embedding() != null && !p.embedding().isEmpty()) {
        float[] e = new float[p.embedding().size()];
        for (int i = 0; i < e.length; i++) {
          e[i] = p.embedding().get(i);
        }
        o = o.withEmbedding(e);
      }
      float[] summary = summaries.remove(p.sampleId());
      if (summary != null) {
        o = o.withInputSummary(summary);
      }
      drift.observe(o);
      seenSinceReset++;
      if (sampled) {
        for (OnlineDriftDetector d : drift.detectors()) {
          if (d.samplesSeen() > 0) {
            scores.computeIfAbsent(d.name(), k -> new ArrayList<>()).add(new Score(index, d.statistic(), d.threshold()));
          }
        }
      }
    }

    /** An outcome (any order); one whose prediction was not seen is ignored. */
    public Builder outcome(Outcome o) {
      if (model.equals(o.modelName())) {
        outcomes.add(o);
      }
      return this;
    }

    /** A drift report (any order). */
    public Builder drift(DriftReport r) {
      if (model.equals(r.modelName())) {
        reports.add(r);
      }
      return this;
    }

    /** A run's step (any order). */
    public Builder run(RunTransition t) {
      if (model.equals(t.modelName())) {
        runs.add(t);
      }
      return this;
    }

    public MonitorTimeline build() {
      return new MonitorTimeline(model, count, realized(), estimated, scores, alarms(), versions, runMarks());
    }

    private List<Point> realized() {
      List<long[]> placed = new ArrayList<>();
      for (Outcome o : outcomes) {
        Long index = indexOfSample.get(o.sampleId());
        if (index != null) {
          placed.add(new long[] {index, o.correct() ? 1 : 0});
        }
      }
      placed.sort((a, b) -> Long.compare(a[0], b[0]));
      List<Point> out = new ArrayList<>();
      long correct = 0;
      for (int i = 0; i < placed.size(); i++) {
        correct += placed.get(i)[1];
        if (i >= accuracyWindow) {
          correct -= placed.get(i - accuracyWindow)[1];
        }
        if (i % step == 0 || i == placed.size() - 1) {
          out.add(new Point(placed.get(i)[0], (double) correct / Math.min(i + 1, accuracyWindow)));
        }
      }
      return out;
    }

    /**
     * The running maximum of the predictions' timestamps: non-decreasing, so a timestamp is placed
     * at the first prediction by which the stream's clock had reached it.
     */
    private long[] clock() {
      long[] clock = new long[timestamps.size()];
      long max = Long.MIN_VALUE;
      for (int i = 0; i < clock.length; i++) {
        max = Math.max(max, timestamps.get(i));
        clock[i] = max;
      }
      return clock;
    }

    private List<AlarmSpan> alarms() {
      long[] ts = clock();
      List<AlarmSpan> out = new ArrayList<>();
      Map<String, DriftReport> open = new TreeMap<>();
      for (DriftReport r : reports) {
        String key = r.detector() + "/" + r.modelVersion();
        if (r.state() == DriftReport.State.ALARM) {
          open.put(key, r);
        } else {
          DriftReport a = open.remove(key);
          if (a != null) {
            out.add(span(a, ts, index(ts, r.timestamp())));
          }
        }
      }
      open.values().forEach(a -> out.add(span(a, ts, -1)));
      out.sort((x, y) -> Long.compare(x.start(), y.start()));
      return out;
    }

    private AlarmSpan span(DriftReport alarm, long[] ts, long end) {
      Long onset = alarm.onsetSampleId() == null ? null : indexOfSample.get(alarm.onsetSampleId());
      return new AlarmSpan(alarm.detector(), alarm.modelVersion(), index(ts, alarm.timestamp()), end,
          onset == null ? -1 : onset, alarm.statistic(), alarm.threshold());
    }

    /** The first index at which the clock reached {@code timestamp} (the last index when it never did). */
    private static long index(long[] ts, long timestamp) {
      if (ts.length == 0) {
        return 0;
      }
      int i = Arrays.binarySearch(ts, timestamp);
      if (i < 0) {
        i = -i - 1;
      } else {
        while (i > 0 && ts[i - 1] == timestamp) {
          i--;
        }
      }
      return Math.min(i, Math.max(0, ts.length - 1));
    }

    private List<RunMark> runMarks() {
      long[] ts = clock();
      List<RunMark> out = new ArrayList<>();
      for (RunTransition t : runs) {
        int version = switch (t.phase()) {
          case PUBLISHED, GATED, ACTIVATED, KEPT -> t.candidateVersion() == null ? t.championVersion() : t.candidateVersion();
          default -> t.championVersion();
        };
        out.add(new RunMark(index(ts, t.timestamp()), t.runId(), t.phase(), version));
      }
      out.sort((a, b) -> Long.compare(a.index(), b.index()));
      return out;
    }
  }
}
