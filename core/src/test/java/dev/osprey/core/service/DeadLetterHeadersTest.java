package dev.osprey.core.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.RejectReason;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class DeadLetterHeadersTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aConsumedRecordKeepsKeyValueAndForeignHeadersAndSaysWhyAndWhere() {
    RecordHeaders original = new RecordHeaders();
    original.add("trace", utf8("abc"));
    original.add(DeadLetterHeaders.REASON, utf8("stale"));
    ConsumerRecord<String, byte[]> r = new ConsumerRecord<>("osprey.samples", 2, 41, 0L, TimestampType.CREATE_TIME, 0, 3,
        "id-1", utf8("{x}"), original, Optional.empty());

    ProducerRecord<String, byte[]> dead = DeadLetterHeaders.record("osprey.dlq", r,
        new InvalidEventException(RejectReason.NOT_JSON, "d".repeat(DeadLetterHeaders.MAX_DETAIL_CHARS + 5)));

    assertEquals("osprey.dlq", dead.topic());
    assertNull(dead.partition());
    assertEquals("id-1", dead.key());
    assertArrayEquals(utf8("{x}"), dead.value());
    List<String> keys = new ArrayList<>();
    for (Header h : dead.headers()) {
      keys.add(h.key());
    }
    assertEquals(List.of("trace", DeadLetterHeaders.REASON, DeadLetterHeaders.DETAIL, DeadLetterHeaders.SOURCE_TOPIC,
        DeadLetterHeaders.SOURCE_PARTITION, DeadLetterHeaders.SOURCE_OFFSET), keys);
    assertEquals("not-json", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.REASON));
    assertEquals(DeadLetterHeaders.MAX_DETAIL_CHARS, DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.DETAIL).length());
    assertEquals("osprey.samples", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.SOURCE_TOPIC));
    assertEquals("2", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.SOURCE_PARTITION));
    assertEquals("41", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.SOURCE_OFFSET));
    assertNull(DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.TRUNCATED_FROM));
  }

  @Test
  void valuesOverTheLimitAreCutAndSaySo() {
    byte[] huge = new byte[DeadLetterHeaders.MAX_VALUE_BYTES + 7];
    huge[0] = 9;
    ConsumerRecord<String, byte[]> r = new ConsumerRecord<>("t", 0, 5, "k", huge);
    ProducerRecord<String, byte[]> dead = DeadLetterHeaders.record("dlq", r,
        new InvalidEventException(RejectReason.TOO_LARGE, null));
    assertEquals(DeadLetterHeaders.MAX_VALUE_BYTES, dead.value().length);
    assertEquals(9, dead.value()[0]);
    assertEquals("1000007", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.TRUNCATED_FROM));
    assertEquals("", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.DETAIL));

    byte[] edge = new byte[DeadLetterHeaders.MAX_VALUE_BYTES];
    assertSame(edge, DeadLetterHeaders.value(edge));
    assertNull(DeadLetterHeaders.value(null));
  }
}
