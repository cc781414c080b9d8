package dev.osprey.explain.service;

import dev.osprey.core.event.Explanation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The last {@code capacity} explained samples, by id, for {@code GET /v1/explanations/{id}}: their
 * explanations (one per method) and heatmap PNG. A sample explained again replaces its entry.
 * Thread-safe.
 */
public final class ExplanationStore {
  /** One sample's explanations and heatmap (rendered when first asked for). */
  public record Entry(List<Explanation> explanations, Supplier<byte[]> heatmap) {
    /** The PNG, or null if it could not be rendered. */
    public byte[] png() {
      return heatmap.get();
    }
  }

  private final LinkedHashMap<String, Entry> entries;

  public ExplanationStore(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    this.entries = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
        return size() > capacity;
      }
    };
  }

  public synchronized void put(String sampleId, Entry e) {
    entries.remove(sampleId);
    entries.put(sampleId, e);
  }

  /** The entry, or null. */
  public synchronized Entry get(String sampleId) {
    return entries.get(sampleId);
  }

  public synchronized int size() {
    return entries.size();
  }
}
