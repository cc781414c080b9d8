package dev.osprey.core.service;

import dev.osprey.core.event.InvalidEventException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The one way a record goes to {@code osprey.dlq}, shared by every service that dead-letters
 * (ingest's topologies, inference's transactional sink) so one consumer reads them all the same
 * way. A dead-lettered record keeps its original key and value bytes (cut to
 * {@value #MAX_VALUE_BYTES} bytes); these headers (UTF-8 strings) say why and where it came from.
 * Headers the producer set are kept, except stale {@code osprey.dlq.*} ones, which are replaced.
 * See docs/ingest.md#dead-letter-queue.
 */
public final class DeadLetterHeaders {
  /** The {@link dev.osprey.core.event.RejectReason#code()}, e.g. {@code shape-mismatch}. */
  public static final String REASON = "osprey.dlq.reason";
  /** Human-readable detail, at most {@value #MAX_DETAIL_CHARS} characters. */
  public static final String DETAIL = "osprey.dlq.detail";
  public static final String SOURCE_TOPIC = "osprey.dlq.source.topic";
  /** Decimal partition number of the source record, -1 when unknown. */
  public static final String SOURCE_PARTITION = "osprey.dlq.source.partition";
  /** Decimal offset of the source record, -1 when unknown. */
  public static final String SOURCE_OFFSET = "osprey.dlq.source.offset";
  /**
   * Present only when the value was cut: the original length in bytes, decimal. A value longer than
   * {@link #MAX_VALUE_BYTES} is cut to that length, because a full copy plus headers could exceed the
   * producer's default 1 MiB request limit and fail the writer on every retry.
   */
  public static final String TRUNCATED_FROM = "osprey.dlq.truncated.from";
  /** Every header above starts with this; stale ones are replaced when a record is dead-lettered again. */
  public static final String PREFIX = "osprey.dlq.";
  /** Longest detail written. */
  public static final int MAX_DETAIL_CHARS = 1000;
  /** Longest value copied to the DLQ unchanged. */
  public static final int MAX_VALUE_BYTES = 1_000_000;

  private DeadLetterHeaders() {}

  /**
   * The original headers minus stale DLQ ones, plus the reason and the source coordinates.
   *
   * @param valueLength length of the original value in bytes (a {@link #TRUNCATED_FROM} header is
   *     added when it exceeds {@link #MAX_VALUE_BYTES})
   */
  public static Headers of(Headers original, InvalidEventException reject, String sourceTopic, int sourcePartition,
      long sourceOffset, int valueLength) {
    RecordHeaders out = new RecordHeaders();
    for (Header h : original) {
      if (!h.key().startsWith(PREFIX)) {
        out.add(h);
      }
    }
    String detail = reject.detail() == null ? "" : reject.detail();
    if (detail.length() > MAX_DETAIL_CHARS) {
      detail = detail.substring(0, MAX_DETAIL_CHARS);
    }
    out.add(REASON, utf8(reject.reason().code()));
    out.add(DETAIL, utf8(detail));
    out.add(SOURCE_TOPIC, utf8(sourceTopic));
    out.add(SOURCE_PARTITION, utf8(Integer.toString(sourcePartition)));
    out.add(SOURCE_OFFSET, utf8(Long.toString(sourceOffset)));
    if (valueLength > MAX_VALUE_BYTES) {
      out.add(TRUNCATED_FROM, utf8(Integer.toString(valueLength)));
    }
    return out;
  }

  /** {@code value} itself, or its first {@link #MAX_VALUE_BYTES} bytes when longer; null stays null. */
  public static byte[] value(byte[] value) {
    return value != null && value.length > MAX_VALUE_BYTES ? Arrays.copyOf(value, MAX_VALUE_BYTES) : value;
  }

  /** The dead letter of a consumed record: same key, value cut if needed, headers as {@link #of}. */
  public static <K> ProducerRecord<K, byte[]> record(String dlqTopic, ConsumerRecord<K, byte[]> source,
      InvalidEventException reject) {
    byte[] v = source.value();
    Headers headers = of(source.headers(), reject, source.topic(), source.partition(), source.offset(),
        v == null ? 0 : v.length);
    return new ProducerRecord<>(dlqTopic, null, source.key(), value(v), headers);
  }

  /** The value of header {@code key} as a string, or null when absent. */
  public static String read(Headers headers, String key) {
    Header h = headers.lastHeader(key);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
