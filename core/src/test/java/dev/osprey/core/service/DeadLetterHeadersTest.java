package dev.osprey.core.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.kafka.RecordSize;
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

  @Test
  void aDeadLetterIsCutToItsBudgetHeadersAndKeyIncluded() {
    RecordHeaders original = new RecordHeaders();
    for (int i = 0; i < 12; i++) {
      original.add("bulk-" + i, new byte[100_000]); // 1.2 MB of headers: gzip let them past the broker
    }
    String key = "k".repeat(5000);
    ConsumerRecord<String, byte[]> r = new ConsumerRecord<>("osprey.samples.raw", 0, 7, 0L, TimestampType.CREATE_TIME,
        0, 10, key, utf8("{\"id\":\"x\"}"), original, Optional.empty());

    ProducerRecord<String, byte[]> dead = DeadLetterHeaders.record("osprey.dlq", r,
        new InvalidEventException(RejectReason.TOO_LARGE, "output too large"), 300_000);

    long size = RecordSize.upperBound(RecordSize.utf8Length(dead.key()), dead.value().length, dead.headers());
    assertTrue(size <= 300_000, "dead letter is " + size + " bytes");
    assertEquals(DeadLetterHeaders.MAX_KEY_BYTES, dead.key().length());
    assertEquals("5000", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.KEY_TRUNCATED_FROM));
    assertArrayEquals(utf8("{\"id\":\"x\"}"), dead.value());
    assertNull(DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.TRUNCATED_FROM));
    List<String> kept = new ArrayList<>();
    for (Header h : dead.headers()) {
      if (h.key().startsWith("bulk-")) {
        kept.add(h.key());
      }
    }
    assertEquals(List.of("bulk-0", "bulk-1"), kept, "the producer's headers are kept in order while they fit");
    // bulk-2..bulk-11: 100,000 bytes + 10 of lengths + a 6-char key (7 for the last two)
    assertEquals("10 headers, " + (10 * (100_000 + 10 + 6L) + 2) + " bytes",
        DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.HEADERS_DROPPED));
    assertEquals("too-large", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.REASON));
    assertEquals("7", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.SOURCE_OFFSET));
  }

  @Test
  void aValueThatFillsTheBudgetIsCutAfterTheReasonIsPlaced() {
    ConsumerRecord<String, byte[]> r = new ConsumerRecord<>("t", 0, 5, "k", new byte[100_000]);
    ProducerRecord<String, byte[]> dead = DeadLetterHeaders.record("dlq", r,
        new InvalidEventException(RejectReason.TOO_LARGE, "big"), 50_000);
    long size = RecordSize.upperBound(1, dead.value().length, dead.headers());
    assertTrue(size <= 50_000 && size > 49_000, "dead letter is " + size + " bytes");
    assertEquals("100000", DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.TRUNCATED_FROM));
  }
}
