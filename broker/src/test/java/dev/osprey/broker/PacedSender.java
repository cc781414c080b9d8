package dev.osprey.broker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends a list of records in order, {@code perTick} every {@code tick}, on a thread of its own: traffic
 * that keeps arriving while a service under test is killed and restarted (so it is killed mid-stream,
 * with a transaction open). A failed send is rethrown by {@link #awaitDone}.
 */
public final class PacedSender<K, V> implements AutoCloseable {
  private final Producer<K, V> producer;
  private final List<ProducerRecord<K, V>> records;
  private final int perTick;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "paced-sender");
    t.setDaemon(true);
    return t;
  });
  private final ScheduledFuture<?> task;

  private PacedSender(Producer<K, V> producer, List<ProducerRecord<K, V>> records, int perTick, Duration tick) {
    this.producer = producer;
    this.records = List.copyOf(records);
    this.perTick = perTick;
    this.task = timer.scheduleAtFixedRate(this::tick, 0, tick.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Starts sending at once; the producer stays the caller's. */
  public static <K, V> PacedSender<K, V> start(Producer<K, V> producer, List<ProducerRecord<K, V>> records, int perTick,
      Duration tick) {
    return new PacedSender<>(producer, records, perTick, tick);
  }

  private void tick() {
    int from = next.get();
    int to = Math.min(records.size(), from + perTick);
    for (int i = from; i < to; i++) {
      producer.send(records.get(i), (meta, e) -> {
        if (e != null) {
          failure.compareAndSet(null, e);
        }
      });
    }
    next.set(to);
    if (to == records.size()) {
      producer.flush();
      throw new IllegalStateException("done"); // ends the schedule
    }
  }

  /** Records handed to the producer so far. */
  public int sent() {
    return next.get();
  }

  /** Waits until every record was sent and acknowledged. */
  public void awaitDone(Duration timeout) throws InterruptedException, TimeoutException {
    try {
      task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      // the schedule ends by throwing once the last record was sent
      if (next.get() != records.size()) {
        throw new IllegalStateException("sent only " + next.get() + " of " + records.size() + " records", e.getCause());
      }
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a send failed: " + failure.get(), failure.get());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
