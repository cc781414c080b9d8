package dev.osprey.ingest;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Source records whose output Kafka refused to write for a reason of the record itself (too large
 * for the producer or the broker), by source topic, partition and offset. Under exactly-once the
 * refusal aborts the transaction and the record is read again; {@link IngestTopology} then
 * dead-letters it instead of writing it, so it cannot stop its partition. Filled by
 * {@link UnwritableRecordHandler} from the producer's callback, read by the stream threads;
 * bounded (oldest forgotten first). Thread-safe. One per ingest instance, never static.
 */
public final class UnwritableRecords {
  /** Entries kept; a record is looked up again within seconds of being marked. */
  static final int CAPACITY = 10_000;

  private final Map<String, String> reasons = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > CAPACITY;
    }
  };

  /** Marks a source record; {@code why} becomes the dead letter's detail. */
  public synchronized void mark(String topic, int partition, long offset, String why) {
    reasons.put(key(topic, partition, offset), why);
  }

  /** Why the source record was marked, or null when it was not. */
  public synchronized String reason(String topic, int partition, long offset) {
    return reasons.get(key(topic, partition, offset));
  }

  public synchronized int size() {
    return reasons.size();
  }

  private static String key(String topic, int partition, long offset) {
    return topic + "-" + partition + "@" + offset;
  }
}
