package dev.osprey.trainer.loop;

import dev.osprey.core.event.LabeledSample;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The most recent labeled samples, at most {@code capacity}, oldest first. The trainer fills it by
 * re-reading {@code osprey.labeled} on start (the log is the only store). A sample labeled again
 * keeps only its newest label and counts as newest: the label that arrived last is the one a
 * labeler stands by.
 */
public final class LabeledWindow {
  private final int capacity;
  private final LinkedHashMap<String, LabeledSample> samples = new LinkedHashMap<>();

  /** @throws IllegalArgumentException if capacity < 1 */
  public LabeledWindow(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    this.capacity = capacity;
  }

  /** Adds a sample as the newest, evicting the oldest when full. */
  public void add(LabeledSample sample) {
    samples.remove(sample.sampleId());
    samples.put(sample.sampleId(), sample);
    if (samples.size() > capacity) {
      samples.remove(samples.keySet().iterator().next());
    }
  }

  public int capacity() {
    return capacity;
  }

  public int size() {
    return samples.size();
  }

  /** A snapshot, oldest first. */
  public List<LabeledSample> samples() {
    return List.copyOf(samples.values());
  }
}
