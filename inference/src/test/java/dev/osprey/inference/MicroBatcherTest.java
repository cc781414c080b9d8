package dev.osprey.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final MicroBatcher batcher = new MicroBatcher(4, Duration.ofMillis(10), now::get);

  private static ConsumerRecord<String, byte[]> record(int partition, long offset) {
    return new ConsumerRecord<>("osprey.samples", partition, offset, "k" + offset, new byte[] {1});
  }

  private static MicroBatcher.HttpRequest request(int samples) {
    Sample s = Sample.ofFeatures("h", 1L, Map.of("x", 1.0), Map.of());
    return new MicroBatcher.HttpRequest(java.util.Collections.nCopies(samples, s), new CompletableFuture<>());
  }

  @Test
  void aBatchIsDueWhenFullOrWhenItsOldestSampleWaitedTheDelay() {
    assertEquals(Duration.ofMillis(100), batcher.pollTimeout(Duration.ofMillis(100)), "empty: the idle poll");
    assertFalse(batcher.due(false));

    batcher.add(List.of(record(0, 0)));
    now.addAndGet(4_000_000);
    batcher.add(List.of(record(0, 1)));
    assertEquals(2, batcher.pending());
    assertFalse(batcher.due(false));
    assertEquals(Duration.ofMillis(6), batcher.pollTimeout(Duration.ofMillis(100)), "what is left of the oldest's 10 ms");
    assertTrue(batcher.due(true), "a stopping loop hands out what it holds");

    now.addAndGet(6_000_000);
    assertTrue(batcher.due(false), "the oldest waited 10 ms");
    assertEquals(Duration.ZERO, batcher.pollTimeout(Duration.ofMillis(100)));
    MicroBatcher.Batch b = batcher.take();
    assertEquals(List.of(0L, 1L), b.records().stream().map(ConsumerRecord::offset).toList());
    assertEquals(0, batcher.pending());

    batcher.add(List.of(record(0, 2), record(0, 3), record(1, 0), record(1, 1)));
    assertTrue(batcher.due(false), "4 samples fill a batch at once");
  }

  @Test
  void aCappedTakeHandsOutTheOldestAndLeavesAFullBatchDueAtOnce() {
    batcher.add(List.of(record(0, 0), record(1, 0), record(0, 1), record(1, 1), record(0, 2), record(1, 2),
        record(0, 3), record(1, 3), record(0, 4)));
    MicroBatcher.Batch first = batcher.take(4);
    assertEquals(List.of("0:0", "1:0", "0:1", "1:1"),
        first.records().stream().map(r -> r.partition() + ":" + r.offset()).toList(), "the oldest, in arrival order");
    assertEquals(5, batcher.pending());
    assertTrue(batcher.due(false), "a full batch is left");
    assertEquals(Duration.ZERO, batcher.pollTimeout(Duration.ofMillis(100)), "so the next poll does not wait");
    assertEquals(List.of("0:2", "1:2", "0:3", "1:3"),
        batcher.take(4).records().stream().map(r -> r.partition() + ":" + r.offset()).toList());
    assertFalse(batcher.due(false), "one left, younger than the delay");
    assertEquals(Duration.ofMillis(10), batcher.pollTimeout(Duration.ofMillis(100)));
  }

  /**
   * At a backlog a remainder short of a transaction waits for the records known to be behind it,
   * as long as polls bring some, instead of going out as a small transaction of its own.
   */
  @Test
  void aRemainderTopsUpToAFullTransactionWhileTheLagHoldsTheRest() {
    batcher.add(List.of(record(0, 0), record(0, 1), record(0, 2), record(0, 3), record(0, 4), record(0, 5)));
    batcher.take(4); // the remainder: 2 records
    now.addAndGet(50_000_000); // it waited behind the batch before it, past its delay
    assertEquals(Duration.ofMillis(10), batcher.pollTimeout(Duration.ofMillis(100), 8, 100),
        "the 6 missing and a transaction more are waiting: the poll may wait up to one delay for them");
    batcher.add(List.of(record(0, 6), record(0, 7), record(0, 8)));
    assertFalse(batcher.due(false, 8, 97), "5 of 8, and the last poll brought records: poll again");
    batcher.add(List.of(record(0, 9), record(0, 10), record(0, 11)));
    assertTrue(batcher.due(false, 8, 94), "8 of 8");
    assertEquals(8, batcher.take(8).records().size());

    batcher.add(List.of(record(0, 12)));
    assertFalse(batcher.due(false, 8, 90));
    now.addAndGet(10_000_000);
    batcher.add(List.of()); // the poll waited its 10 ms for nothing
    assertTrue(batcher.due(false, 8, 90), "a poll that brought nothing: the usual rule, and the delay is over");

    assertEquals(Duration.ZERO, batcher.pollTimeout(Duration.ofMillis(100), 8, 14),
        "the 7 missing are waiting but not a transaction more: no deep backlog, the usual rule (a late batch does not wait)");
    assertTrue(batcher.due(false, 8, 14));
  }

  @Test
  void httpRequestsCountTheirSamplesAndJoinOnlyWhenDrained() {
    MicroBatcher.HttpRequest three = request(3);
    batcher.enqueue(three);
    assertEquals(0, batcher.pending(), "queued, not yet buffered");
    batcher.drainRequests();
    assertEquals(3, batcher.pending());
    assertFalse(batcher.due(false));
    batcher.add(List.of(record(0, 7)));
    assertTrue(batcher.due(false));
    MicroBatcher.Batch b = batcher.take();
    assertEquals(List.of(three), b.requests());
    assertEquals(1, b.records().size());
  }

  @Test
  void revokedPartitionsLoseTheirBufferedRecordsOnly() {
    batcher.add(List.of(record(0, 0), record(1, 0), record(0, 1)));
    assertEquals(2, batcher.drop(List.of(new TopicPartition("osprey.samples", 0))));
    assertEquals(List.of(1), batcher.take().records().stream().map(ConsumerRecord::partition).toList());
  }

  @Test
  void failingRequestsFailsQueuedAndBufferedOnes() {
    MicroBatcher.HttpRequest buffered = request(1);
    MicroBatcher.HttpRequest queued = request(2);
    batcher.enqueue(buffered);
    batcher.drainRequests();
    batcher.enqueue(queued);
    batcher.failRequests(new PredictRequests.UnavailableException("stopped"));
    assertEquals(0, batcher.pending());
    for (CompletableFuture<List<Prediction>> f : List.of(buffered.result(), queued.result())) {
      ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, f::get);
      assertEquals("stopped", e.getCause().getMessage());
    }
    assertTrue(batcher.take().requests().isEmpty());
  }
}
