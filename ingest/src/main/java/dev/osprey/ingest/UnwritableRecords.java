package dev.osprey.ingest;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Source records whose output Kafka refused to write for a reason of the record itself (too large
 * for the producer or the broker), by source topic, partition and offset. Under exactly-once the
 * refusal aborts the transaction and the record is read again; {@link IngestTopology} then
 * dead-letters it instead of writing it, so it cannot stop its partition. Thread-safe. One per
 * ingest instance, never static.
 *
 * <p>The refusal arrives on the producer's I/O thread, after the stream thread has moved on, so
 * the processor context of that moment names whatever record the stream thread is at, not the one
 * that was refused (Kafka Streams reads the context when the callback runs). The source is
 * therefore found from the refused record itself: {@link IngestTopology} registers every output
 * value before forwarding it ({@link #writing}), and Kafka Streams hands the very same array to
 * the handler (the byte-array serializer does not copy). Arrays compare by identity, and the
 * entries are weak: each lives as long as the producer holds its record.
 */
public final class UnwritableRecords {
  /** Entries kept; a record is looked up again within seconds of being marked. */
  static final int CAPACITY = 10_000;

  /** Why a source record's output was refused, and whether it was its dead letter that was. */
  public record Refusal(String why, boolean deadLetter) {}

  private record Source(String topic, int partition, long offset, boolean deadLetter) {}

  private final Map<byte[], Source> inFlight = Collections.synchronizedMap(new WeakHashMap<>());

  private final Map<String, Refusal> refusals = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Refusal> eldest) {
      return size() > CAPACITY;
    }
  };

  /**
   * Remembers which source record {@code output} (the exact array handed to Kafka) was made from;
   * {@code deadLetter} says whether it is the record's dead letter rather than its valid output.
   */
  public void writing(byte[] output, String topic, int partition, long offset, boolean deadLetter) {
    if (output != null && topic != null && offset >= 0) {
      inFlight.put(output, new Source(topic, partition, offset, deadLetter));
    }
  }

  /**
   * Marks the source record of a refused output; {@code why} becomes the dead letter's detail.
   *
   * @return false when the output was not registered by {@link #writing} (its source is unknown)
   */
  public boolean refused(byte[] output, String why) {
    Source source = output == null ? null : inFlight.get(output);
    if (source == null) {
      return false;
    }
    mark(source.topic(), source.partition(), source.offset(), new Refusal(why, source.deadLetter()));
    return true;
  }

  /** Marks a source record directly. */
  public synchronized void mark(String topic, int partition, long offset, Refusal refusal) {
    refusals.put(key(topic, partition, offset), refusal);
  }

  /** Why the source record's output was refused, or null when it was not. */
  public synchronized Refusal refusal(String topic, int partition, long offset) {
    return refusals.get(key(topic, partition, offset));
  }

  public synchronized int size() {
    return refusals.size();
  }

  private static String key(String topic, int partition, long offset) {
    return topic + "-" + partition + "@" + offset;
  }
}
