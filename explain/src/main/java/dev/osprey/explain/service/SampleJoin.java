package dev.osprey.explain.service;

import dev.osprey.core.event.Sample;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Joins the samples read from {@code osprey.samples} with the predictions chosen for explanation,
 * in bounded memory. Both topics are read by one consumer, so a prediction usually finds its sample
 * already here; one that comes first (the consumer fetched the predictions partition ahead) waits
 * until its sample arrives.
 *
 * <ul>
 *   <li>samples: the last {@code sampleCapacity} by id, least recently used evicted first (most
 *       samples are never explained; their eviction is normal, counted in {@link #evictedSamples()});
 *       a sample stays after a join, since a later outcome may explain it again;
 *   <li>waiting work: at most {@code waitingCapacity} items, the oldest evicted first; an evicted
 *       item is a miss, handed to the miss handler and counted in {@link #misses()}.
 * </ul>
 *
 * What is held lives in memory only: {@link #oldestHeldOffsets()} and {@link #waitingWork()} tell the
 * consumer how far it may commit so that a restart reads all of it again.
 *
 * <p>Not thread-safe (the consumer thread owns it).
 *
 * @param <W> the work waiting for a sample (a prediction and its trigger)
 */
public final class SampleJoin<W> {
  /** A piece of work with its sample. */
  public record Joined<W>(Sample sample, W work) {}

  /** A sample held, with where it was read (partition -1: not tracked). */
  private record Held(Sample sample, int partition, long offset) {}

  private final int sampleCapacity;
  private final int waitingCapacity;
  private final Consumer<W> onMiss;
  private final LinkedHashMap<String, Held> samples;
  private final LinkedHashMap<String, List<W>> waiting = new LinkedHashMap<>();
  private int waitingCount;
  private long evictedSamples;
  private long misses;

  /**
   * @param sampleCapacity samples kept, >= 1
   * @param waitingCapacity work items waiting for their sample, >= 1
   * @param onMiss called with each work item evicted before its sample came
   * @throws IllegalArgumentException if a capacity is below 1
   */
  public SampleJoin(int sampleCapacity, int waitingCapacity, Consumer<W> onMiss) {
    if (sampleCapacity < 1) {
      throw new IllegalArgumentException("sampleCapacity must be >= 1, got " + sampleCapacity);
    }
    if (waitingCapacity < 1) {
      throw new IllegalArgumentException("waitingCapacity must be >= 1, got " + waitingCapacity);
    }
    this.sampleCapacity = sampleCapacity;
    this.waitingCapacity = waitingCapacity;
    this.onMiss = onMiss;
    this.samples = new LinkedHashMap<>(16, 0.75f, true);
  }

  /** Keeps a sample whose position is not tracked; returns the work that was waiting for it. */
  public List<Joined<W>> offerSample(Sample sample) {
    return offerSample(sample, -1, -1);
  }

  /**
   * Keeps a sample read at {@code offset} of the samples topic's {@code partition}; returns the work
   * that was waiting for it (now joined), oldest first.
   */
  public List<Joined<W>> offerSample(Sample sample, int partition, long offset) {
    samples.put(sample.id(), new Held(sample, partition, offset));
    if (samples.size() > sampleCapacity) {
      var eldest = samples.entrySet().iterator();
      eldest.next();
      eldest.remove();
      evictedSamples++;
    }
    List<W> ready = waiting.remove(sample.id());
    if (ready == null) {
      return List.of();
    }
    waitingCount -= ready.size();
    List<Joined<W>> out = new ArrayList<>(ready.size());
    for (W w : ready) {
      out.add(new Joined<>(sample, w));
    }
    return out;
  }

  /** Joins {@code work} with its sample if it is here; else it waits (and may evict the oldest waiting item). */
  public Joined<W> offerWork(String sampleId, W work) {
    Held s = samples.get(sampleId);
    if (s != null) {
      return new Joined<>(s.sample(), work);
    }
    waiting.computeIfAbsent(sampleId, k -> new ArrayList<>(1)).add(work);
    waitingCount++;
    while (waitingCount > waitingCapacity) {
      Map.Entry<String, List<W>> oldest = waiting.entrySet().iterator().next();
      W evicted = oldest.getValue().remove(0);
      if (oldest.getValue().isEmpty()) {
        waiting.remove(oldest.getKey());
      }
      waitingCount--;
      misses++;
      onMiss.accept(evicted);
    }
    return null;
  }

  /** The sample with this id if it is still kept (e.g. for an on-demand request by id). */
  public Sample sample(String sampleId) {
    Held s = samples.get(sampleId);
    return s == null ? null : s.sample();
  }

  /**
   * The offset of the oldest sample held, per samples partition (tracked samples only): a consumer
   * that commits no further reads every held sample again after a restart.
   */
  public Map<Integer, Long> oldestHeldOffsets() {
    Map<Integer, Long> out = new HashMap<>();
    for (Held h : samples.values()) {
      if (h.partition() >= 0) {
        out.merge(h.partition(), h.offset(), Math::min);
      }
    }
    return out;
  }

  /** The work waiting for its sample, oldest first. */
  public List<W> waitingWork() {
    List<W> out = new ArrayList<>(waitingCount);
    waiting.values().forEach(out::addAll);
    return out;
  }

  public int samplesHeld() {
    return samples.size();
  }

  public int waiting() {
    return waitingCount;
  }

  public long evictedSamples() {
    return evictedSamples;
  }

  /** Work items evicted before their sample arrived. */
  public long misses() {
    return misses;
  }
}
