package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class DecidedOffsetsTest {
  private static final String PREDICTIONS = "osprey.predictions";
  private static final TopicPartition P0 = new TopicPartition(PREDICTIONS, 0);
  private static final TopicPartition P1 = new TopicPartition(PREDICTIONS, 1);
  private static final TopicPartition OUTCOMES = new TopicPartition("osprey.outcomes", 0);

  @Test
  void theDecidedPositionIsReadFromTheCommitsMetadata() {
    assertEquals(-1, DecidedOffsets.position(null));
    assertEquals(4, DecidedOffsets.position(new OffsetAndMetadata(4)), "no metadata: the offset");
    assertEquals(9, DecidedOffsets.position(new OffsetAndMetadata(4, "decided=9")));
    assertEquals(4, DecidedOffsets.position(new OffsetAndMetadata(4, "decided=2")), "never behind the offset");
    assertEquals(4, DecidedOffsets.position(new OffsetAndMetadata(4, "decided=x")), "not ours: the offset");
    assertEquals(4, DecidedOffsets.position(new OffsetAndMetadata(4, "someone else's")));
  }

  @Test
  void predictionsBelowTheLastDecidedPositionAreNotDecidedAgain() {
    MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
    consumer.assign(List.of(P0, P1, OUTCOMES));
    consumer.commitSync(Map.of(P0, new OffsetAndMetadata(3, "decided=8"), P1, new OffsetAndMetadata(5, "decided=5")));
    DecidedOffsets decided = new DecidedOffsets(PREDICTIONS);
    assertFalse(decided.decidedBefore(0, 3), "nothing learned yet");

    decided.learn(Set.of(P0, P1, OUTCOMES), consumer);
    assertTrue(decided.decidedBefore(0, 3));
    assertTrue(decided.decidedBefore(0, 7));
    assertFalse(decided.decidedBefore(0, 8));
    assertFalse(decided.decidedBefore(1, 4), "held back nothing: offset and decided agree");
    // the commit keeps saying how far it was decided while the held-back offset stays behind
    assertEquals(new OffsetAndMetadata(3, "decided=8"), decided.commit(P0, 3, 5));
    assertEquals(new OffsetAndMetadata(6, "decided=10"), decided.commit(P0, 6, 10));
    assertEquals(new OffsetAndMetadata(2, "decided=2"), decided.commit(OUTCOMES, 2, 2));

    decided.forget(List.of(P0));
    assertFalse(decided.decidedBefore(0, 3), "revoked: learned again from the next owner's commit");
    assertEquals(new OffsetAndMetadata(3, "decided=5"), decided.commit(P0, 3, 5));
  }
}
