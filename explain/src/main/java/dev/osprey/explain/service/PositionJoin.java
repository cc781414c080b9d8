package dev.osprey.explain.service;

import dev.osprey.core.event.SamplePosition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Joins the work chosen for explanation (a sampled prediction, a wrong outcome) with the position
 * of its sample in {@code osprey.samples}, which each prediction carries
 * ({@link SamplePosition#HEADER}), in bounded memory. The sample itself is fetched only for the work
 * that is explained ({@link SampleLookup}): reading the whole samples topic to find them cost the
 * inference service beside this one more than explaining did (docs/benchmarks.md §5).
 *
 * <ul>
 *   <li>positions: the last {@code capacity} by sample id, least recently used evicted first (most
 *       are never needed; their eviction is normal, counted in {@link #evicted()}); a position stays
 *       after a join, since a later wrong outcome may explain its sample again;
 *   <li>waiting work: an outcome read before its prediction waits, at most {@code waitingCapacity}
 *       items, the oldest evicted first; an evicted item is a miss, handed to the miss handler and
 *       counted in {@link #misses()}.
 * </ul>
 *
 * What is held lives in memory only: {@link #oldestHeldOffsets()} (where the predictions holding the
 * positions were read) and {@link #waitingWork()} tell the consumer how far it may commit so that a
 * restart reads all of it again.
 *
 * <p>Not thread-safe (the consumer thread owns it).
 *
 * @param <W> the work waiting for a position (a prediction or an outcome, and its trigger)
 */
public final class PositionJoin<W> {
  /** A piece of work with its sample's position. */
  public record Joined<W>(SamplePosition position, W work) {}

  /** A position held, with where the prediction that carried it was read (partition -1: not tracked). */
  private record Held(SamplePosition position, int partition, long offset) {}

  private final int capacity;
  private final int waitingCapacity;
  private final Consumer<W> onMiss;
  private final LinkedHashMap<String, Held> positions = new LinkedHashMap<>(16, 0.75f, true);
  // the offsets of the tracked predictions held, per predictions partition: the oldest is the first
  private final Map<Integer, TreeSet<Long>> heldOffsets = new HashMap<>();
  private final LinkedHashMap<String, List<W>> waiting = new LinkedHashMap<>();
  private int waitingCount;
  private long evicted;
  private long misses;

  /**
   * @param capacity sample positions kept, >= 1
   * @param waitingCapacity work items waiting for their position, >= 1
   * @param onMiss called with each work item evicted before its position came
   * @throws IllegalArgumentException if a capacity is below 1
   */
  public PositionJoin(int capacity, int waitingCapacity, Consumer<W> onMiss) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    if (waitingCapacity < 1) {
      throw new IllegalArgumentException("waitingCapacity must be >= 1, got " + waitingCapacity);
    }
    this.capacity = capacity;
    this.waitingCapacity = waitingCapacity;
    this.onMiss = onMiss;
  }

  /** Keeps a sample's position whose carrier is not tracked; returns the work that was waiting for it. */
  public List<Joined<W>> offer(String sampleId, SamplePosition position) {
    return offer(sampleId, position, -1, -1);
  }

  /**
   * Keeps the position of sample {@code sampleId}, carried by the prediction read at {@code offset}
   * of the predictions topic's {@code partition}; returns the work that was waiting for it (now
   * joined), oldest first.
   */
  public List<Joined<W>> offer(String sampleId, SamplePosition position, int partition, long offset) {
    Held held = new Held(position, partition, offset);
    forget(positions.put(sampleId, held));
    if (partition >= 0) {
      heldOffsets.computeIfAbsent(partition, p -> new TreeSet<>()).add(offset);
    }
    if (positions.size() > capacity) {
      var eldest = positions.entrySet().iterator();
      forget(eldest.next().getValue());
      eldest.remove();
      evicted++;
    }
    List<W> ready = waiting.remove(sampleId);
    if (ready == null) {
      return List.of();
    }
    waitingCount -= ready.size();
    List<Joined<W>> out = new ArrayList<>(ready.size());
    for (W w : ready) {
      out.add(new Joined<>(position, w));
    }
    return out;
  }

  private void forget(Held h) {
    if (h != null && h.partition >= 0) {
      TreeSet<Long> offsets = heldOffsets.get(h.partition);
      if (offsets != null) {
        offsets.remove(h.offset);
        if (offsets.isEmpty()) {
          heldOffsets.remove(h.partition);
        }
      }
    }
  }

  /** Joins {@code work} with its sample's position if it is here; else it waits (and may evict the oldest waiting item). */
  public Joined<W> offerWork(String sampleId, W work) {
    Held h = positions.get(sampleId);
    if (h != null) {
      return new Joined<>(h.position, work);
    }
    waiting.computeIfAbsent(sampleId, k -> new ArrayList<>(1)).add(work);
    waitingCount++;
    while (waitingCount > waitingCapacity) {
      Map.Entry<String, List<W>> oldest = waiting.entrySet().iterator().next();
      W gone = oldest.getValue().remove(0);
      if (oldest.getValue().isEmpty()) {
        waiting.remove(oldest.getKey());
      }
      waitingCount--;
      misses++;
      onMiss.accept(gone);
    }
    return null;
  }

  /** The position of this sample if it is still kept (e.g. for an on-demand request by id). */
  public SamplePosition position(String sampleId) {
    Held h = positions.get(sampleId);
    return h == null ? null : h.position;
  }

  /**
   * The offset of the oldest prediction whose position is held, per predictions partition (tracked
   * ones only): a consumer that commits no further reads every held position again after a restart.
   */
  public Map<Integer, Long> oldestHeldOffsets() {
    Map<Integer, Long> out = new HashMap<>();
    heldOffsets.forEach((p, offsets) -> out.put(p, offsets.first()));
    return out;
  }

  /** The work waiting for its position, oldest first. */
  public List<W> waitingWork() {
    List<W> out = new ArrayList<>(waitingCount);
    waiting.values().forEach(out::addAll);
    return out;
  }

  public int held() {
    return positions.size();
  }

  public int waiting() {
    return waitingCount;
  }

  public long evicted() {
    return evicted;
  }

  /** Work items evicted before their position arrived. */
  public long misses() {
    return misses;
  }
}
