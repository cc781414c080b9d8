package dev.osprey.explain.service;

import dev.osprey.core.event.Sample;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
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
 * <p>Most samples are never explained, so a sample may be held <em>encoded</em>
 * ({@link #offerEncoded}, keyed by the record key, which is the sample id) and decoded only when
 * work joins it; one that does not decode (or whose id is not its key) is dropped then, and its
 * work keeps waiting as if it had never come.
 *
 * <p>Not thread-safe (the consumer thread owns it).
 *
 * @param <W> the work waiting for a sample (a prediction and its trigger)
 */
public final class SampleJoin<W> {
  /** A piece of work with its sample. */
  public record Joined<W>(Sample sample, W work) {}

  /**
   * Decodes a sample held encoded; returns null (after logging and counting it) if the bytes are not
   * a valid sample with this id.
   */
  @FunctionalInterface
  public interface SampleDecoder {
    Sample decode(String id, byte[] encoded, int partition, long offset);
  }

  /** A sample held, decoded or not yet, with where it was read (partition -1: not tracked). */
  private static final class Held {
    private Sample sample;
    private byte[] encoded;
    private final int partition;
    private final long offset;

    Held(Sample sample, byte[] encoded, int partition, long offset) {
      this.sample = sample;
      this.encoded = encoded;
      this.partition = partition;
      this.offset = offset;
    }
  }

  private final int sampleCapacity;
  private final int waitingCapacity;
  private final Consumer<W> onMiss;
  private final SampleDecoder decoder;
  private final LinkedHashMap<String, Held> samples;
  // the offsets of the tracked samples held, per partition: the oldest is the first
  private final Map<Integer, TreeSet<Long>> heldOffsets = new HashMap<>();
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
    this(sampleCapacity, waitingCapacity, onMiss, (id, encoded, partition, offset) -> {
      throw new IllegalStateException("no decoder for encoded samples");
    });
  }

  /**
   * @param decoder decodes the samples offered encoded ({@link #offerEncoded}) when work joins them
   * @throws IllegalArgumentException if a capacity is below 1
   */
  public SampleJoin(int sampleCapacity, int waitingCapacity, Consumer<W> onMiss, SampleDecoder decoder) {
    if (sampleCapacity < 1) {
      throw new IllegalArgumentException("sampleCapacity must be >= 1, got " + sampleCapacity);
    }
    if (waitingCapacity < 1) {
      throw new IllegalArgumentException("waitingCapacity must be >= 1, got " + waitingCapacity);
    }
    this.sampleCapacity = sampleCapacity;
    this.waitingCapacity = waitingCapacity;
    this.onMiss = onMiss;
    this.decoder = decoder;
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
    return offer(sample.id(), new Held(sample, null, partition, offset));
  }

  /**
   * Keeps a sample still encoded, read at {@code offset} of the samples topic's {@code partition}
   * under the record key {@code id}; it is decoded only if work joins it. Returns the work that was
   * waiting for it (now joined), oldest first; none if it was waited for but does not decode.
   */
  public List<Joined<W>> offerEncoded(String id, byte[] encoded, int partition, long offset) {
    return offer(id, new Held(null, encoded, partition, offset));
  }

  private List<Joined<W>> offer(String id, Held held) {
    List<W> ready = waiting.get(id);
    Sample sample = null;
    if (ready != null) {
      sample = decoded(id, held);
      if (sample == null) {
        return List.of(); // not a valid sample: not held, its work keeps waiting
      }
    }
    forget(samples.put(id, held));
    track(held);
    if (samples.size() > sampleCapacity) {
      var eldest = samples.entrySet().iterator();
      forget(eldest.next().getValue());
      eldest.remove();
      evictedSamples++;
    }
    if (ready == null) {
      return List.of();
    }
    waiting.remove(id);
    waitingCount -= ready.size();
    List<Joined<W>> out = new ArrayList<>(ready.size());
    for (W w : ready) {
      out.add(new Joined<>(sample, w));
    }
    return out;
  }

  /** The held sample, decoding it if needed; null if it does not decode. */
  private Sample decoded(String id, Held h) {
    if (h.sample == null) {
      h.sample = decoder.decode(id, h.encoded, h.partition, h.offset);
      h.encoded = null;
    }
    return h.sample;
  }

  /** Looks up a held sample by id, decoding it; one that does not decode is dropped. */
  private Sample held(String id) {
    Held h = samples.get(id);
    if (h == null) {
      return null;
    }
    Sample s = decoded(id, h);
    if (s == null) {
      forget(samples.remove(id));
    }
    return s;
  }

  private void track(Held h) {
    if (h.partition >= 0) {
      heldOffsets.computeIfAbsent(h.partition, p -> new TreeSet<>()).add(h.offset);
    }
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

  /** Joins {@code work} with its sample if it is here; else it waits (and may evict the oldest waiting item). */
  public Joined<W> offerWork(String sampleId, W work) {
    Sample s = held(sampleId);
    if (s != null) {
      return new Joined<>(s, work);
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
    return held(sampleId);
  }

  /**
   * The offset of the oldest sample held, per samples partition (tracked samples only): a consumer
   * that commits no further reads every held sample again after a restart.
   */
  public Map<Integer, Long> oldestHeldOffsets() {
    Map<Integer, Long> out = new HashMap<>();
    heldOffsets.forEach((p, offsets) -> out.put(p, offsets.first()));
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
