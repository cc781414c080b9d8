package dev.osprey.inference;

import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Micro-batching: Kafka records and HTTP requests accumulate until {@code maxBatchSize} samples are
 * buffered or the oldest has waited {@code maxBatchDelay}; then {@link #take()} hands the whole
 * buffer out as one batch. HTTP requests may be {@link #enqueue queued} from any thread; everything
 * else runs on the prediction loop's thread.
 */
final class MicroBatcher {
  /** An HTTP predict request waiting for its batch. */
  record HttpRequest(List<Sample> samples, CompletableFuture<List<Prediction>> result) {}

  /** What is handled together: one model, one transaction. */
  record Batch(List<ConsumerRecord<String, byte[]>> records, List<HttpRequest> requests) {}

  private final int maxBatchSize;
  private final long maxDelayNanos;
  private final LongSupplier nanoTime;
  private final ConcurrentLinkedQueue<HttpRequest> queued = new ConcurrentLinkedQueue<>();
  private final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
  private final List<HttpRequest> requests = new ArrayList<>();
  private int requestSamples;
  /** Records the last {@link #add} brought. */
  private int lastAdded;
  private long oldestNanos;

  /** @param nanoTime the clock waits are measured on ({@code System::nanoTime}) */
  MicroBatcher(int maxBatchSize, Duration maxBatchDelay, LongSupplier nanoTime) {
    this.maxBatchSize = maxBatchSize;
    this.maxDelayNanos = maxBatchDelay.toNanos();
    this.nanoTime = nanoTime;
  }

  /** Queues an HTTP request; it joins the buffer at the next {@link #drainRequests()}. Any thread. */
  void enqueue(HttpRequest request) {
    queued.add(request);
  }

  /** Buffers consumed records. */
  void add(Iterable<ConsumerRecord<String, byte[]>> consumed) {
    int before = records.size();
    for (ConsumerRecord<String, byte[]> r : consumed) {
      noteArrival();
      records.add(r);
    }
    lastAdded = records.size() - before;
  }

  /** Moves the queued HTTP requests into the buffer. */
  void drainRequests() {
    for (HttpRequest r; (r = queued.poll()) != null; ) {
      noteArrival();
      requests.add(r);
      requestSamples += r.samples().size();
    }
  }

  private void noteArrival() {
    if (records.isEmpty() && requests.isEmpty()) {
      oldestNanos = nanoTime.getAsLong();
    }
  }

  /** Samples buffered (records plus the samples of buffered requests). */
  int pending() {
    return records.size() + requestSamples;
  }

  /** How long the source may block in its next poll: {@code idle} when empty, else what is left of the oldest's wait. */
  Duration pollTimeout(Duration idle) {
    if (records.isEmpty() && requests.isEmpty()) {
      return idle;
    }
    if (pending() >= maxBatchSize) {
      return Duration.ZERO; // a full batch is waiting (records left by a capped take): do not block
    }
    return Duration.ofNanos(Math.max(0, maxDelayNanos - (nanoTime.getAsLong() - oldestNanos)));
  }

  /**
   * As {@link #pollTimeout(Duration)}, but a buffer that is short of {@code wanted} records while the
   * missing ones and {@code wanted} more are known to be waiting ({@code waiting}, the consumer's
   * lag) may wait up to one delay per poll for them, as long as polls bring records: at a backlog, a
   * fetch response larger than a transaction left a remainder that otherwise went out as a small
   * transaction of its own (every other transaction, at a quarter of the size).
   */
  Duration pollTimeout(Duration idle, int wanted, long waiting) {
    if (toppingUp(wanted, waiting)) {
      // at most one delay per poll, from now: the remainder has waited already, behind the batch before it
      return Duration.ofNanos(maxDelayNanos);
    }
    return pollTimeout(idle);
  }

  private boolean toppingUp(int wanted, long waiting) {
    int pending = pending();
    // a deep backlog only: the missing records and a whole transaction more are waiting. Behind a
    // short stall at a steady rate, small transactions first get the oldest samples out sooner.
    return pending > 0 && pending < wanted && waiting >= 2L * wanted - pending;
  }

  /** A batch is full, or its oldest sample waited long enough, or the loop stops and the buffer must go. */
  boolean due(boolean stopping) {
    return due(stopping, Integer.MAX_VALUE, 0);
  }

  /**
   * As {@link #due(boolean)}, except that a buffer {@link #pollTimeout(Duration, int, long) topping
   * up} to {@code wanted} records is due only when it has them or a poll brought nothing.
   */
  boolean due(boolean stopping, int wanted, long waiting) {
    int pending = pending();
    if (pending == 0) {
      return false;
    }
    if (toppingUp(wanted, waiting) && lastAdded > 0 && !stopping) {
      return false; // the last poll brought records: poll again for the rest
    }
    return pending >= maxBatchSize || nanoTime.getAsLong() - oldestNanos >= maxDelayNanos || stopping;
  }

  /** Everything buffered, as one batch; the buffer is empty afterwards. */
  Batch take() {
    return take(Integer.MAX_VALUE);
  }

  /**
   * At most the {@code maxRecords} oldest buffered records (so each partition's order is kept) and
   * every buffered HTTP request, as one batch; younger records stay buffered for the next one.
   */
  Batch take(int maxRecords) {
    List<ConsumerRecord<String, byte[]>> taken;
    if (records.size() <= maxRecords) {
      taken = new ArrayList<>(records);
      records.clear();
    } else {
      List<ConsumerRecord<String, byte[]>> head = records.subList(0, maxRecords);
      taken = new ArrayList<>(head);
      head.clear();
      oldestNanos = nanoTime.getAsLong(); // the rest waits again from now, due at once if still a full batch
    }
    Batch b = new Batch(taken, new ArrayList<>(requests));
    requests.clear();
    requestSamples = 0;
    return b;
  }

  /** The buffered records, taken out of the buffer (the HTTP requests stay). */
  List<ConsumerRecord<String, byte[]>> takeRecords() {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>(records);
    records.clear();
    return out;
  }

  /** Drops the buffered records of {@code partitions} (revoked: their offsets were never committed); returns how many. */
  int drop(Collection<TopicPartition> partitions) {
    int before = records.size();
    records.removeIf(r -> partitions.contains(new TopicPartition(r.topic(), r.partition())));
    return before - records.size();
  }

  /** Fails every queued and buffered HTTP request with {@code cause}. */
  void failRequests(RuntimeException cause) {
    for (HttpRequest r; (r = queued.poll()) != null; ) {
      r.result().completeExceptionally(cause);
    }
    requests.forEach(r -> r.result().completeExceptionally(cause));
    requests.clear();
    requestSamples = 0;
  }
}
