package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.osprey.core.event.EventCodec;
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

  static final EventCodec CODEC = new EventCodec();

  /** Decodes with the codec, counting calls; null for bytes that do not decode or carry another id. */
  static SampleJoin.SampleDecoder counting(List<String> decoded) {
    return (id, encoded, partition, offset) -> {
      decoded.add(id);
      try {
        Sample s = CODEC.decodeSample(encoded);
        return s.id().equals(id) ? s : null;
      } catch (Exception e) {
        return null;
      }
    };
  }

  @Test
  void encodedSamplesAreDecodedOnlyWhenWorkJoinsThem() {
    List<String> decoded = new ArrayList<>();
    SampleJoin<String> join = new SampleJoin<>(100, 10, w -> {}, counting(decoded));
    for (int i = 0; i < 50; i++) {
      join.offerEncoded("s" + i, CODEC.encode(sample("s" + i)), 0, i);
    }
    assertNull(join.offerWork("late", "w-late")); // waits: decoded the moment it arrives
    join.offerEncoded("late", CODEC.encode(sample("late")), 0, 50);
    assertEquals(List.of("late"), decoded);
    assertEquals("s7", join.offerWork("s7", "w7").sample().id());
    assertEquals("s7", join.offerWork("s7", "w7 again").sample().id()); // decoded once, kept decoded
    assertEquals(List.of("late", "s7"), decoded);
    assertEquals(51, join.samplesHeld());
    assertEquals(Map.of(0, 0L), join.oldestHeldOffsets());
  }

  @Test
  void anEncodedSampleThatDoesNotDecodeIsDroppedAndItsWorkWaits() {
    List<String> decoded = new ArrayList<>();
    SampleJoin<String> join = new SampleJoin<>(10, 10, w -> {}, counting(decoded));
    join.offerEncoded("bad", "not json".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, 0);
    join.offerEncoded("other", CODEC.encode(sample("not-other")), 0, 1); // id is not its key
    join.offerEncoded("good", CODEC.encode(sample("good")), 0, 2);
    assertNull(join.offerWork("bad", "w-bad"));
    assertNull(join.offerWork("other", "w-other"));
    assertEquals(List.of("w-bad", "w-other"), join.waitingWork());
    assertEquals(1, join.samplesHeld(), "the two invalid ones are no longer held");
    assertEquals(Map.of(0, 2L), join.oldestHeldOffsets());
    // a valid copy sent again joins the waiting work
    assertEquals(List.of("w-bad"), join.offerEncoded("bad", CODEC.encode(sample("bad")), 0, 3).stream()
        .map(SampleJoin.Joined::work).toList());
  }

  @Test
  void theOldestOffsetFollowsReplacementsAndEvictions() {
    SampleJoin<String> join = new SampleJoin<>(3, 10, w -> {}, counting(new ArrayList<>()));
    join.offerEncoded("a", CODEC.encode(sample("a")), 0, 5);
    join.offerEncoded("b", CODEC.encode(sample("b")), 0, 6);
    join.offerEncoded("a", CODEC.encode(sample("a")), 0, 9); // the same sample read again, later
    assertEquals(Map.of(0, 6L), join.oldestHeldOffsets());
    join.offerEncoded("c", CODEC.encode(sample("c")), 1, 2);
    join.offerEncoded("d", CODEC.encode(sample("d")), 1, 3); // evicts b, the least recently used
    assertEquals(Map.of(0, 9L, 1, 2L), join.oldestHeldOffsets());
    join.offerEncoded("e", CODEC.encode(sample("e")), 1, 4); // evicts a
    assertEquals(Map.of(1, 2L), join.oldestHeldOffsets());
  }
}
