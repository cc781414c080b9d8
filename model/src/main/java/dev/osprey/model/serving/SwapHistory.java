package dev.osprey.model.serving;

import dev.osprey.core.event.ModelActivation;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** The last activations this instance handled and what became of each, newest last; e.g. for inference's {@code GET /v1/models}. */
public final class SwapHistory {
  /**
   * @param version activated version (0 when the event was unreadable)
   * @param outcome what happened
   * @param detail why it failed, or empty
   * @param activation the event, or null when unreadable
   * @param handledAt when this instance finished handling it
   */
  public record Entry(int version, SwapOutcome outcome, String detail, ModelActivation activation, Instant handledAt) {}

  private final int capacity;
  private final Deque<Entry> entries = new ArrayDeque<>();

  public SwapHistory(int capacity) {
    this.capacity = capacity;
  }

  public synchronized void add(Entry e) {
    if (entries.size() == capacity) {
      entries.removeFirst();
    }
    entries.addLast(e);
  }

  public synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }
}
