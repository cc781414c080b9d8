package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.osprey.core.event.SamplePosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PositionJoinTest {
  private static SamplePosition at(long offset) {
    return new SamplePosition(0, offset);
  }

  @Test
  void workJoinsAPositionThatArrivedBefore() {
    PositionJoin<String> join = new PositionJoin<>(10, 10, w -> {});
    join.offer("a", at(7));
    PositionJoin.Joined<String> j = join.offerWork("a", "explain a");
    assertEquals(at(7), j.position());
    assertEquals("explain a", j.work());
    // the position stays for a later outcome
    assertEquals(at(7), join.offerWork("a", "wrong a").position());
  }

  @Test
  void workWaitsForAPositionThatArrivesAfter() {
    PositionJoin<String> join = new PositionJoin<>(10, 10, w -> {});
    assertNull(join.offerWork("a", "first"));
    assertNull(join.offerWork("a", "second"));
    assertEquals(2, join.waiting());
    List<PositionJoin.Joined<String>> ready = join.offer("a", at(3));
    assertEquals(List.of("first", "second"), ready.stream().map(PositionJoin.Joined::work).toList());
    assertEquals(List.of(at(3), at(3)), ready.stream().map(PositionJoin.Joined::position).toList());
    assertEquals(0, join.waiting());
    assertEquals(List.of(), join.offer("b", at(4)));
  }

  @Test
  void positionsAreBoundedLeastRecentlyUsedFirst() {
    PositionJoin<String> join = new PositionJoin<>(3, 10, w -> {});
    join.offer("a", at(0));
    join.offer("b", at(1));
    join.offer("c", at(2));
    join.offerWork("a", "touch a"); // a is now the most recently used
    join.offer("d", at(3)); // evicts b
    assertEquals(3, join.held());
    assertEquals(1, join.evicted());
    assertNull(join.position("b"));
    assertEquals(at(0), join.position("a"));
  }

  @Test
  void waitingWorkIsBoundedAndEvictedWorkIsAMiss() {
    List<String> missed = new ArrayList<>();
    PositionJoin<String> join = new PositionJoin<>(10, 2, missed::add);
    join.offerWork("a", "wa");
    join.offerWork("b", "wb");
    join.offerWork("c", "wc");
    assertEquals(List.of("wa"), missed);
    assertEquals(1, join.misses());
    assertEquals(2, join.waiting());
    assertEquals(List.of(), join.offer("a", at(0)));
    assertEquals(1, join.offer("c", at(2)).size());
  }

  /** What a consumer may commit: no further than the oldest prediction whose position is held, and the oldest work waiting. */
  @Test
  void tellsTheOldestCarrierHeldPerPartitionAndTheWorkWaiting() {
    PositionJoin<String> join = new PositionJoin<>(3, 10, w -> {});
    assertEquals(Map.of(), join.oldestHeldOffsets());
    join.offer("a", at(100), 0, 10);
    join.offer("b", at(101), 1, 4);
    join.offer("c", at(102), 0, 11);
    join.offer("untracked", at(103));
    assertEquals(Map.of(0, 11L, 1, 4L), join.oldestHeldOffsets(), "a was evicted (capacity 3)");
    join.offer("d", at(104), 1, 5); // evicts b
    assertEquals(Map.of(0, 11L, 1, 5L), join.oldestHeldOffsets());
    assertNull(join.offerWork("x", "wx"));
    assertNull(join.offerWork("y", "wy"));
    assertEquals(List.of("wx", "wy"), join.waitingWork());
    join.offer("x", at(105), 1, 6);
    assertEquals(List.of("wy"), join.waitingWork());
  }

  @Test
  void theOldestOffsetFollowsReplacementsAndEvictions() {
    PositionJoin<String> join = new PositionJoin<>(3, 10, w -> {});
    join.offer("a", at(1), 0, 5);
    join.offer("b", at(2), 0, 6);
    join.offer("a", at(1), 0, 9); // the same sample predicted again (e.g. by another version), later
    assertEquals(Map.of(0, 6L), join.oldestHeldOffsets());
    join.offer("c", at(3), 1, 2);
    join.offer("d", at(4), 1, 3); // evicts b, the least recently used
    assertEquals(Map.of(0, 9L, 1, 2L), join.oldestHeldOffsets());
    join.offer("e", at(5), 1, 4); // evicts a
    assertEquals(Map.of(1, 2L), join.oldestHeldOffsets());
  }
}
