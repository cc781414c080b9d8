package dev.osprey.monitor.service;

import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.monitor.drift.DriftEvent;
import dev.osprey.monitor.drift.DriftMonitor;
import dev.osprey.monitor.drift.Observation;
import dev.osprey.monitor.drift.OnlineDriftDetector;
import dev.osprey.monitor.quality.LabeledOutcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Everything the monitor tracks about one model: the drift detectors of its prediction stream and
 * the quality of each recent version. Fed in the order of its input log; the same records in the
 * same order give the same reports and figures, and {@link #state()} / {@link #restore} continue
 * exactly (see docs/monitor.md, "Restarts"). Not thread-safe.
 *
 * <p>Model swaps. The detectors follow the version in the predictions: the first prediction of
 * another version resets them against that version's reference. While fewer than one window of
 * the new version has been seen, predictions of the version just left are stragglers (instances
 * still swapping) and skip the detectors instead of swapping back; after that, a prediction of an
 * older version is a rollback and swaps again.
 */
final class ModelStream {
  private final String model;
  private final MonitorSettings settings;
  private final ReferenceCatalog catalog;
  private final Map<Integer, VersionQuality> versions = new LinkedHashMap<>();
  private final Map<String, Long> alarms = new TreeMap<>();
  private final String[] recentIds;
  private final int[] recentPartitions;
  private final long[] recentOffsets;
  private long position;
  private int driftVersion;
  private int previousVersion;
  private long sinceSwap;
  private DriftMonitor drift;
  private ReferenceCatalog.VersionReference driftReference;

  ModelStream(String model, MonitorSettings settings, ReferenceCatalog catalog) {
    this.model = model;
    this.settings = settings;
    this.catalog = catalog;
    int recent = 4 * settings.drift().windowSize();
    recentIds = new String[recent];
    recentPartitions = new int[recent];
    recentOffsets = new long[recent];
  }

  String model() {
    return model;
  }

  /**
   * Feeds one prediction of this model.
   *
   * @param summary the sample's input summary, or null
   * @return drift reports (alarms starting or ending), usually none
   */
  List<DriftReport> onPrediction(Prediction p, int partition, long offset, float[] summary) {
    float[] probabilities = probabilities(p.probabilities());
    VersionQuality q = version(p.modelVersion(), probabilities.length);
    if (q != null) {
      q.onPrediction(p);
    }
    if (p.modelVersion() != driftVersion) {
      if (p.modelVersion() == previousVersion && sinceSwap < settings.drift().windowSize()) {
        return List.of(); // a straggler of the version just replaced
      }
      swap(p.modelVersion());
    }
    sinceSwap++;
    if (drift == null || probabilities.length == 0) {
      return List.of();
    }
    int slot = (int) (position++ % recentIds.length);
    recentIds[slot] = p.sampleId();
    recentPartitions[slot] = partition;
    recentOffsets[slot] = offset;
    Observation o = Observation.of(p.sampleId(), probabilities);
    if (summary != null) {
      o = o.withInputSummary(summary);
    }
    if (p.embedding() != null && !p.embedding().isEmpty()) {
      o = o.withEmbedding(probabilities(p.embedding()));
    }
    List<DriftEvent> events = drift.observe(o);
    if (events.isEmpty()) {
      return List.of();
    }
    List<DriftReport> reports = new ArrayList<>(events.size());
    for (DriftEvent e : events) {
      if (e.state() == DriftEvent.State.ALARM) {
        alarms.merge(e.detector(), 1L, Long::sum);
      }
      reports.add(report(e, p.timestamp()));
    }
    return reports;
  }

  void onOutcome(Outcome o) {
    VersionQuality q = version(o.modelVersion(), o.probabilities().size());
    if (q != null) {
      q.onOutcome(new LabeledOutcome(o.sampleId(), o.predicted(), o.actual(), clamp(o.confidence()),
          clamp(o.labelProbability()), o.predictionTimestamp(), o.delayMillis()));
    }
  }

  private static float clamp(float p) {
    return Math.max(0f, Math.min(1f, p));
  }

  /** The quality of a version, created on its first record; null when its classes are unknown. */
  private VersionQuality version(int version, int classesSeen) {
    VersionQuality q = versions.get(version);
    if (q == null) {
      ReferenceCatalog.VersionReference ref = catalog.get(model, version);
      int classes = ref.classes() >= 2 ? ref.classes() : classesSeen;
      if (classes < 2) {
        return null;
      }
      q = new VersionQuality(classes, settings, ref.cbpe());
      versions.put(version, q);
      while (versions.size() > settings.versionsKept()) {
        versions.remove(versions.keySet().iterator().next());
      }
    }
    return q;
  }

  private void swap(int version) {
    previousVersion = driftVersion;
    driftVersion = version;
    sinceSwap = 0;
    driftReference = catalog.get(model, version);
    if (driftReference.drift()) {
      if (drift == null) {
        drift = new DriftMonitor(settings.drift());
      }
      drift.reset(driftReference.detectors());
    } else {
      drift = null;
    }
  }

  private DriftReport report(DriftEvent e, long timestamp) {
    String id = model + "/" + driftVersion + "/" + drift.resets() + "/" + e.detector() + "/" + e.state() + "/"
        + e.samplesSeen();
    return new DriftReport(DriftReport.SCHEMA_VERSION, UUID.nameUUIDFromBytes(id.getBytes(StandardCharsets.UTF_8)).toString(),
        model, driftVersion, e.detector(), DriftReport.State.valueOf(e.state().name()), e.statistic(), e.threshold(),
        e.windowSize(), e.ertSamples(), e.samplesSeen(), e.onsetSampleId(), onsetOffsets(e.onsetSampleId()),
        finite(e.details()), timestamp);
  }

  private Map<String, Long> onsetOffsets(String sampleId) {
    if (sampleId == null) {
      return Map.of();
    }
    for (long i = position - 1; i >= Math.max(0, position - recentIds.length); i--) {
      int slot = (int) (i % recentIds.length);
      if (sampleId.equals(recentIds[slot])) {
        return Map.of(Integer.toString(recentPartitions[slot]), recentOffsets[slot]);
      }
    }
    return Map.of();
  }

  private static Map<String, Double> finite(Map<String, Double> details) {
    Map<String, Double> out = new TreeMap<>();
    details.forEach((k, v) -> {
      if (v != null && Double.isFinite(v)) {
        out.put(k, v);
      }
    });
    return out;
  }

  private static float[] probabilities(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  /** Figures for the metrics (read on the processing thread, published as an immutable view). */
  MonitorView.Model view() {
    List<MonitorView.Detector> detectors = new ArrayList<>();
    if (drift != null) {
      for (OnlineDriftDetector d : drift.detectors()) {
        detectors.add(new MonitorView.Detector(d.name(), d.statistic(), d.threshold(), d.alarm()));
      }
    }
    List<MonitorView.Version> vs = new ArrayList<>();
    versions.forEach((v, q) -> vs.add(q.view(v)));
    return new MonitorView.Model(model, driftVersion, drift == null ? 0 : drift.samplesSeen(), driftReference == null ? "" : driftReference.note(),
        detectors, Map.copyOf(alarms), vs);
  }

  /**
   * Everything needed to continue exactly; the detectors' calibration is recomputed (seeded) from
   * the registry on restore.
   */
  record State(String model, long position, int driftVersion, int previousVersion, long sinceSwap,
      DriftMonitor.State drift, Map<String, Long> alarms, List<String> recentIds, int[] recentPartitions,
      long[] recentOffsets, Map<Integer, VersionQuality.State> versions) {}

  State state() {
    Map<Integer, VersionQuality.State> vs = new LinkedHashMap<>();
    versions.forEach((v, q) -> vs.put(v, q.state()));
    return new State(model, position, driftVersion, previousVersion, sinceSwap, drift == null ? null : drift.state(),
        new TreeMap<>(alarms), Arrays.asList(recentIds.clone()), recentPartitions.clone(), recentOffsets.clone(), vs);
  }

  static ModelStream restore(State s, MonitorSettings settings, ReferenceCatalog catalog) {
    ModelStream m = new ModelStream(s.model(), settings, catalog);
    if (s.recentIds().size() != m.recentIds.length) {
      throw new IllegalArgumentException("saved state of " + s.model() + " has another window size");
    }
    m.position = s.position();
    m.driftVersion = s.driftVersion();
    m.previousVersion = s.previousVersion();
    m.sinceSwap = s.sinceSwap();
    m.alarms.putAll(s.alarms());
    for (int i = 0; i < m.recentIds.length; i++) {
      m.recentIds[i] = s.recentIds().get(i);
    }
    System.arraycopy(s.recentPartitions(), 0, m.recentPartitions, 0, m.recentPartitions.length);
    System.arraycopy(s.recentOffsets(), 0, m.recentOffsets, 0, m.recentOffsets.length);
    if (m.driftVersion != 0) {
      m.driftReference = catalog.get(m.model, m.driftVersion);
      if (s.drift() != null && m.driftReference.drift()) {
        m.drift = new DriftMonitor(settings.drift());
        m.drift.restore(m.driftReference.detectors(), s.drift());
      }
    }
    s.versions().forEach((v, q) -> m.versions.put(v,
        VersionQuality.restore(q, settings, catalog.get(s.model(), v).cbpe())));
    return m;
  }
}
