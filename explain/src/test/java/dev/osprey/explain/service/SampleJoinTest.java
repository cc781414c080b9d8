package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SampleJoinTest {
  static Sample sample(String id) {
    return new Sample(Sample.SCHEMA_VERSION, id, 0L, Tensor.ofUint8(new byte[4], 1, 2, 2), null, null);
  }

  @Test
  void workJoinsASampleThatArrivedBefore() {
    SampleJoin<String> join = new SampleJoin<>(10, 10, w -> {});
    Sample a = sample("a");
    join.offerSample(a);
    SampleJoin.Joined<String> j = join.offerWork("a", "explain a");
    assertSame(a, j.sample());
    assertEquals("explain a", j.work());
    // the sample stays for a later outcome
    assertSame(a, join.offerWork("a", "wrong a").sample());
  }

  @Test
  void workWaitsForASampleThatArrivesAfter() {
    SampleJoin<String> join = new SampleJoin<>(10, 10, w -> {});
    assertNull(join.offerWork("a", "first"));
    assertNull(join.offerWork("a", "second"));
    assertEquals(2, join.waiting());
    List<SampleJoin.Joined<String>> ready = join.offerSample(sample("a"));
    assertEquals(List.of("first", "second"), ready.stream().map(SampleJoin.Joined::work).toList());
    assertEquals(0, join.waiting());
    assertEquals(List.of(), join.offerSample(sample("b")));
  }

  @Test
  void samplesAreBoundedLeastRecentlyUsedFirst() {
    SampleJoin<String> join = new SampleJoin<>(3, 10, w -> {});
    join.offerSample(sample("a"));
    join.offerSample(sample("b"));
    join.offerSample(sample("c"));
    join.offerWork("a", "touch a"); // a is now the most recently used
    join.offerSample(sample("d")); // evicts b
    assertEquals(3, join.samplesHeld());
    assertEquals(1, join.evictedSamples());
    assertNull(join.sample("b"));
    assertEquals("a", join.sample("a").id());
  }

  @Test
  void waitingWorkIsBoundedAndEvictedWorkIsAMiss() {
    List<String> missed = new ArrayList<>();
    SampleJoin<String> join = new SampleJoin<>(10, 2, missed::add);
    join.offerWork("a", "wa");
    join.offerWork("b", "wb");
    join.offerWork("c", "wc");
    assertEquals(List.of("wa"), missed);
    assertEquals(1, join.misses());
    assertEquals(2, join.waiting());
    assertEquals(List.of(), join.offerSample(sample("a")));
    assertEquals(1, join.offerSample(sample("c")).size());
  }

  /** What a consumer may commit: no further than the oldest sample held and the oldest work waiting. */
  @Test
  void tellsTheOldestSampleHeldPerPartitionAndTheWorkWaiting() {
    SampleJoin<String> join = new SampleJoin<>(3, 10, w -> {});
    assertEquals(Map.of(), join.oldestHeldOffsets());
    join.offerSample(sample("a"), 0, 10);
    join.offerSample(sample("b"), 1, 4);
    join.offerSample(sample("c"), 0, 11);
    join.offerSample(sample("untracked"));
    assertEquals(Map.of(0, 11L, 1, 4L), join.oldestHeldOffsets(), "a was evicted (capacity 3)");
    join.offerSample(sample("d"), 1, 5); // evicts b
    assertEquals(Map.of(0, 11L, 1, 5L), join.oldestHeldOffsets());
    assertNull(join.offerWork("x", "wx"));
    assertNull(join.offerWork("y", "wy"));
    assertEquals(List.of("wx", "wy"), join.waitingWork());
    join.offerSample(sample("x"), 1, 6);
    assertEquals(List.of("wy"), join.waitingWork());
  }
}
