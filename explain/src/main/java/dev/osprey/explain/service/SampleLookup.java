package dev.osprey.explain.service;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.explain.sampling.SkipReason;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads one sample by its position in {@code osprey.samples}: a consumer of its own, assigned, in
 * no group (nothing is committed: the explain loop's group offsets say what was done), read_committed
 * as inference reads, {@code auto.offset.reset=none} so a position that is gone fails at once. It
 * seeks to the position and polls until that offset comes; the records of the last fetch are kept,
 * so the lookups of one poll that fall close together (sorted by the caller or not) cost one fetch.
 *
 * <p>Give the consumer small fetches ({@code max.partition.fetch.bytes}, {@code fetch.max.bytes}):
 * a lookup wants one record, and the broker sends what follows it up to those limits.
 */
public final class SampleLookup implements SampleSource {
  private static final Duration POLL = Duration.ofMillis(50);

  private final Consumer<String, byte[]> consumer;
  private final String topic;
  private final Duration timeout;
  private final BooleanSupplier keepGoing;
  private final EventCodec codec = new EventCodec();
  private TopicPartition assigned;
  private List<ConsumerRecord<String, byte[]>> last = List.of();
  private long fetches;

  /**
   * @param consumer raw values, configured as above; closed by {@link #close()}
   * @param timeout how long a lookup waits for its record (e.g. while the broker is away) before it
   *     is a miss
   * @param keepGoing false when the caller stops: a waiting lookup gives up
   */
  public SampleLookup(Consumer<String, byte[]> consumer, String topic, Duration timeout, BooleanSupplier keepGoing) {
    this.consumer = consumer;
    this.topic = topic;
    this.timeout = timeout;
    this.keepGoing = keepGoing;
  }

  @Override
  public Found find(String sampleId, SamplePosition position) {
    TopicPartition tp = new TopicPartition(topic, position.partition());
    ConsumerRecord<String, byte[]> r = tp.equals(assigned) ? kept(position.offset()) : null;
    if (r == null) {
      if (!tp.equals(assigned)) {
        consumer.assign(List.of(tp));
        assigned = tp;
        last = List.of();
      }
      consumer.seek(tp, position.offset());
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        ConsumerRecords<String, byte[]> polled;
        try {
          polled = consumer.poll(POLL);
        } catch (OffsetOutOfRangeException e) {
          last = List.of();
          return Found.missing(SkipReason.SAMPLE_MISSING, "no record at " + where(position)
              + " any more (the topic's retention deleted it) or yet");
        }
        if (!polled.isEmpty()) {
          fetches++;
          last = polled.records(tp);
          r = kept(position.offset());
          if (r == null) {
            return Found.missing(SkipReason.SAMPLE_MISSING, "no committed record at " + where(position));
          }
          break;
        }
        if (System.nanoTime() > deadline || !keepGoing.getAsBoolean()) {
          return Found.missing(SkipReason.SAMPLE_MISSING, where(position) + " not read within " + timeout);
        }
      }
    }
    if (!sampleId.equals(r.key()) || r.value() == null) {
      return Found.missing(SkipReason.INVALID_EVENT, "the record at " + where(position) + " is '" + r.key()
          + "', not sample '" + sampleId + "'");
    }
    try {
      Sample s = codec.decodeSample(r.value());
      if (!sampleId.equals(s.id())) {
        return Found.missing(SkipReason.INVALID_EVENT, "the sample at " + where(position) + " has id '" + s.id()
            + "', not its key '" + sampleId + "'");
      }
      return Found.of(s);
    } catch (InvalidEventException | RuntimeException e) {
      return Found.missing(SkipReason.INVALID_EVENT, "the record at " + where(position) + ": " + e.getMessage());
    }
  }

  /** The record at {@code offset} among those of the last fetch, or null (records are in offset order). */
  private ConsumerRecord<String, byte[]> kept(long offset) {
    int lo = 0;
    int hi = last.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long o = last.get(mid).offset();
      if (o < offset) {
        lo = mid + 1;
      } else if (o > offset) {
        hi = mid - 1;
      } else {
        return last.get(mid);
      }
    }
    return null;
  }

  private String where(SamplePosition position) {
    return topic + "-" + position;
  }

  /** Fetches that returned records (for the tests: lookups close together share one). */
  long fetches() {
    return fetches;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
