package dev.osprey.monitor.service;

import dev.osprey.monitor.quality.QualitySnapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The monitor's meters (names in docs/monitor.md, "Metrics"). Gauges and the drift/outcome/
 * prediction counters read the latest {@link MonitorView}, published after every committed
 * transaction, so they show committed state only and the counters continue across restarts (they
 * come from the saved state). Meters of a version or detector that left the view are removed.
 * Thread-safe.
 */
public final class MonitorMetrics {
  public static final String ACCURACY = "osprey.monitor.accuracy";
  public static final String ECE = "osprey.monitor.ece";
  public static final String LOG_LOSS = "osprey.monitor.log.loss";
  public static final String MEAN_CONFIDENCE = "osprey.monitor.mean.confidence";
  public static final String RECALL = "osprey.monitor.recall";
  public static final String LABEL_COVERAGE = "osprey.monitor.label.coverage";
  public static final String ESTIMATED_ACCURACY = "osprey.monitor.estimated.accuracy";
  public static final String OUTCOMES = "osprey.monitor.outcomes";
  public static final String PREDICTIONS = "osprey.monitor.predictions";
  public static final String LABEL_DELAY = "osprey.monitor.label.delay";
  public static final String DRIFT_SCORE = "osprey.monitor.drift.score";
  public static final String DRIFT_THRESHOLD = "osprey.monitor.drift.threshold";
  public static final String DRIFT_ALARM = "osprey.monitor.drift.alarm";
  public static final String DRIFT_ALARMS = "osprey.monitor.drift.alarms";
  public static final String DRIFT_VERSION = "osprey.monitor.drift.version";
  public static final String DRIFT_SAMPLES = "osprey.monitor.drift.samples";
  public static final String DRIFT_REPORTS = "osprey.monitor.drift.reports";
  public static final String RECORDS = "osprey.monitor.records";
  public static final String RECORDS_SKIPPED = "osprey.monitor.records.skipped";
  public static final String TRANSACTIONS = "osprey.monitor.transactions";
  /** Label delay histogram buckets, seconds: a second to a day. */
  private static final double[] DELAY_BUCKETS = {1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600};

  private final MeterRegistry registry;
  private volatile MonitorView view = MonitorView.EMPTY;
  private final Map<String, List<Meter>> groups = new HashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, DistributionSummary> delays = new ConcurrentHashMap<>();

  public MonitorMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The figures last published. */
  public MonitorView view() {
    return view;
  }

  /** Shows {@code next}: registers meters for new models, versions and detectors, removes gone ones. */
  public synchronized void publish(MonitorView next) {
    view = next;
    Set<String> present = new HashSet<>();
    for (MonitorView.Model m : next.models()) {
      String model = m.model();
      present.add(register("m|" + model, () -> modelMeters(model)));
      for (MonitorView.Detector d : m.detectors()) {
        present.add(register("d|" + model + "|" + m.driftVersion() + "|" + d.name(),
            () -> detectorMeters(model, m.driftVersion(), d.name())));
      }
      for (String detector : m.alarms().keySet()) {
        present.add(register("a|" + model + "|" + detector, () -> List.of(FunctionCounter.builder(DRIFT_ALARMS, this,
                x -> x.model(model).map(mm -> (double) mm.alarms().getOrDefault(detector, 0L)).orElse(0.0))
            .description("Drift alarms raised (from the saved state: continues across restarts)")
            .tags("model", model, "detector", detector).register(registry))));
      }
      for (MonitorView.Version v : m.versions()) {
        present.add(register("v|" + model + "|" + v.version(), () -> versionMeters(model, v)));
      }
    }
    for (var it = groups.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (!present.contains(e.getKey())) {
        e.getValue().forEach(registry::remove);
        it.remove();
      }
    }
  }

  private String register(String key, java.util.function.Supplier<List<Meter>> meters) {
    groups.computeIfAbsent(key, k -> meters.get());
    return key;
  }

  private java.util.Optional<MonitorView.Model> model(String model) {
    return view.models().stream().filter(m -> m.model().equals(model)).findFirst();
  }

  private java.util.Optional<MonitorView.Version> version(String model, int version) {
    return model(model).flatMap(m -> m.versions().stream().filter(v -> v.version() == version).findFirst());
  }

  private List<Meter> modelMeters(String model) {
    Tags tags = Tags.of("model", model);
    return List.of(
        gauge(DRIFT_VERSION, tags, "Model version the drift detectors run against (0: none)",
            x -> x.model(model).map(m -> (double) m.driftVersion()).orElse(Double.NaN)),
        gauge(DRIFT_SAMPLES, tags, "Predictions the drift detectors saw since their last reset",
            x -> x.model(model).map(m -> (double) m.driftSamples()).orElse(Double.NaN)));
  }

  private List<Meter> detectorMeters(String model, int version, String detector) {
    Tags tags = Tags.of("model", model, "version", Integer.toString(version), "detector", detector);
    return List.of(
        gauge(DRIFT_SCORE, tags, "Drift statistic of the detector's current window",
            x -> detector(x, model, detector).map(MonitorView.Detector::statistic).orElse(Double.NaN)),
        gauge(DRIFT_THRESHOLD, tags, "Threshold calibrated for the configured expected run time",
            x -> detector(x, model, detector).map(MonitorView.Detector::threshold).orElse(Double.NaN)),
        gauge(DRIFT_ALARM, tags, "1 while the detector is in alarm",
            x -> detector(x, model, detector).map(d -> d.alarm() ? 1.0 : 0.0).orElse(Double.NaN)));
  }

  private java.util.Optional<MonitorView.Detector> detector(MonitorMetrics x, String model, String detector) {
    return x.model(model).flatMap(m -> m.detectors().stream().filter(d -> d.name().equals(detector)).findFirst());
  }

  private List<Meter> versionMeters(String model, MonitorView.Version first) {
    int version = first.version();
    String ver = Integer.toString(version);
    List<Meter> out = new ArrayList<>();
    Map<String, java.util.function.Function<MonitorView.Version, QualitySnapshot>> windows = Map.of(
        "last_n", MonitorView.Version::lastN, "last_time", MonitorView.Version::lastTime,
        "total", MonitorView.Version::total);
    windows.forEach((window, of) -> {
      Tags tags = Tags.of("model", model, "version", ver, "window", window);
      out.add(quality(ACCURACY, tags, "Realized accuracy from outcomes", model, version, of, QualitySnapshot::accuracy));
      out.add(quality(ECE, tags, "Expected calibration error (15 equal-width bins)", model, version, of,
          QualitySnapshot::ece));
      out.add(quality(LOG_LOSS, tags, "Mean -ln p(true class)", model, version, of, QualitySnapshot::logLoss));
      out.add(quality(MEAN_CONFIDENCE, tags, "Mean top-class probability of the labeled predictions", model, version,
          of, QualitySnapshot::meanConfidence));
      if (!window.equals("last_n")) {
        out.add(quality(LABEL_COVERAGE, tags, "Labeled predictions / predictions", model, version, of,
            QualitySnapshot::coverage));
      }
      for (int c = 0; c < first.predictedClasses().length; c++) {
        int cls = c;
        out.add(quality(RECALL, tags.and("class", Integer.toString(c)), "Recall of the true class", model, version,
            of, s -> cls < s.recall().length ? s.recall()[cls] : Double.NaN));
      }
    });
    Tags tags = Tags.of("model", model, "version", ver);
    out.add(gauge(ESTIMATED_ACCURACY, tags, "Accuracy estimated without labels (CBPE) over the last predictions",
        x -> x.version(model, version).map(MonitorView.Version::estimatedAccuracy).orElse(Double.NaN)));
    out.add(outcomeCounter(tags.and("result", "correct"), model, version, MonitorView.Version::correct));
    out.add(outcomeCounter(tags.and("result", "incorrect"), model, version, MonitorView.Version::incorrect));
    for (int c = 0; c < first.predictedClasses().length; c++) {
      int cls = c;
      out.add(FunctionCounter.builder(PREDICTIONS, this, x -> x.version(model, version)
              .map(v -> cls < v.predictedClasses().length ? (double) v.predictedClasses()[cls] : 0.0).orElse(0.0))
          .description("Predictions by predicted class (class distribution)")
          .tags(tags.and("class", Integer.toString(c))).register(registry));
    }
    return out;
  }

  private Meter outcomeCounter(Tags tags, String model, int version, ToDoubleFunction<MonitorView.Version> count) {
    return FunctionCounter.builder(OUTCOMES, this,
            x -> x.version(model, version).map(count::applyAsDouble).orElse(0.0))
        .description("Outcomes (labeled predictions) by result").tags(tags).register(registry);
  }

  private Meter quality(String name, Tags tags, String description, String model, int version,
      java.util.function.Function<MonitorView.Version, QualitySnapshot> window, ToDoubleFunction<QualitySnapshot> f) {
    return gauge(name, tags, description,
        x -> x.version(model, version).map(v -> f.applyAsDouble(window.apply(v))).orElse(Double.NaN));
  }

  private Meter gauge(String name, Tags tags, String description, ToDoubleFunction<MonitorMetrics> f) {
    return Gauge.builder(name, this, f).description(description).tags(tags).register(registry);
  }

  /** One outcome's label delay (label time minus prediction time). */
  void labelDelay(String model, int version, long delayMillis) {
    delays.computeIfAbsent(model + "|" + version, k -> DistributionSummary.builder(LABEL_DELAY)
            .description("Label time minus prediction time")
            .baseUnit("seconds")
            .serviceLevelObjectives(DELAY_BUCKETS)
            .tags("model", model, "version", Integer.toString(version))
            .register(registry))
        .record(delayMillis / 1000.0);
  }

  void record(String topic) {
    counter(RECORDS, "Records processed", "topic", topic).increment();
  }

  void skipped(String topic, String reason) {
    counter(RECORDS_SKIPPED, "Records skipped (undecodable or inconsistent)", "topic", topic, "reason", reason)
        .increment();
  }

  void report(String model, String detector, String state) {
    counter(DRIFT_REPORTS, "Drift reports written to the drift topic", "model", model, "detector", detector, "state",
        state).increment();
  }

  void transaction() {
    counter(TRANSACTIONS, "Transactions committed (outputs, state and offsets)").increment();
  }

  private Counter counter(String name, String description, String... tags) {
    return counters.computeIfAbsent(name + "|" + String.join("|", tags),
        k -> Counter.builder(name).description(description).tags(tags).register(registry));
  }
}
