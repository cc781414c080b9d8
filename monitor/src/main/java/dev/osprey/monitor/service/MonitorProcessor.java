package dev.osprey.monitor.service;

import dev.osprey.core.data.InputSummaries;
import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The monitor's logic without Kafka: predictions, outcomes and (optionally) samples in, drift
 * reports out, one {@link ModelStream} per model. The service feeds it in the order it consumes and
 * commits its {@link #dirtyStates() changed state} with the consumed offsets in one transaction.
 * Not thread-safe.
 *
 * <p>Input summaries (for the input-summary detector) come from a join in the monitor: a sample's
 * summary (7 numbers, not the sample) waits in a bounded buffer, oldest dropped first, until its
 * prediction arrives. The buffer is not part of the saved state, so after a restart the
 * predictions of samples read before it reach the detectors without a summary (the input
 * detector skips them; nothing is counted twice).
 */
public final class MonitorProcessor {
  private final MonitorSettings settings;
  private final ReferenceCatalog catalog;
  private final Map<String, ModelStream> models = new LinkedHashMap<>();
  private final Set<String> dirty = new LinkedHashSet<>();
  private final Map<String, float[]> summaries;

  public MonitorProcessor(MonitorSettings settings, ReferenceCatalog catalog) {
    this.settings = settings;
    this.catalog = catalog;
    int capacity = settings.summaryBuffer();
    this.summaries = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, float[]> e) {
        return size() > capacity;
      }
    };
  }

  /**
   * One prediction.
   *
   * @param partition its partition in the predictions topic (named in a report's onset offsets)
   * @param offset its offset there
   * @return the drift reports it caused, usually none
   */
  public List<DriftReport> onPrediction(Prediction p, int partition, long offset) {
    float[] summary = settings.inputSummaries() ? summaries.get(p.sampleId()) : null;
    dirty.add(p.modelName());
    return stream(p.modelName()).onPrediction(p, partition, offset, summary);
  }

  public void onOutcome(Outcome o) {
    dirty.add(o.modelName());
    stream(o.modelName()).onOutcome(o);
  }

  /**
   * Keeps a sample's input summary for its prediction (only with {@link MonitorSettings#inputSummaries()}).
   *
   * @return false when the sample is not an image tensor (no summary)
   */
  public boolean onSample(Sample s) {
    if (!settings.inputSummaries() || s.tensor() == null || s.tensor().shape().size() < 2) {
      return false;
    }
    summaries.put(s.id(), InputSummaries.of(s.tensor()));
    return true;
  }

  private ModelStream stream(String model) {
    return models.computeIfAbsent(model, m -> new ModelStream(m, settings, catalog));
  }

  /** The states of the models changed since the last call, by model name; clears the change set. */
  Map<String, ModelStream.State> dirtyStates() {
    Map<String, ModelStream.State> out = new LinkedHashMap<>();
    for (String m : dirty) {
      out.put(m, models.get(m).state());
    }
    dirty.clear();
    return out;
  }

  /** Every model's state. */
  List<ModelStream.State> states() {
    return models.values().stream().map(ModelStream::state).toList();
  }

  /** Continues from saved states (before the first record). */
  void restore(Iterable<ModelStream.State> states) {
    for (ModelStream.State s : states) {
      models.put(s.model(), ModelStream.restore(s, settings, catalog));
    }
  }

  /** Figures for the metrics. */
  public MonitorView view() {
    List<MonitorView.Model> out = new ArrayList<>(models.size());
    for (ModelStream m : models.values()) {
      out.add(m.view());
    }
    return new MonitorView(List.copyOf(out));
  }
}
