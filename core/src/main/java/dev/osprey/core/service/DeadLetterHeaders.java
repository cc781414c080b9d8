package dev.osprey.core.service;

import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.kafka.RecordSize;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 *
 * <p>A dead letter must itself be writable, or the writer fails on it forever: {@link #fit} cuts
 * the key, the value and the producer's headers (in that order of preference: value first, then
 * headers in their order) so the whole record stays within a byte budget, and says what it cut.
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
  /** Present only when producer headers were dropped to fit: {@code <count> headers, <bytes> bytes}. */
  public static final String HEADERS_DROPPED = "osprey.dlq.headers.dropped";
  /** Present only when the key was cut: its original length in UTF-8 bytes, decimal. */
  public static final String KEY_TRUNCATED_FROM = "osprey.dlq.key.truncated.from";
  /** Every header above starts with this; stale ones are replaced when a record is dead-lettered again. */
  public static final String PREFIX = "osprey.dlq.";
  /** Longest detail written. */
  public static final int MAX_DETAIL_CHARS = 1000;
  /** Longest value copied to the DLQ unchanged. */
  public static final int MAX_VALUE_BYTES = 1_000_000;
  /** Longest key copied to the DLQ unchanged, in UTF-8 bytes. */
  public static final int MAX_KEY_BYTES = 4096;
  /** The smallest budget {@link #fit} accepts: the key's cut and the reason always fit in it. */
  public static final int MIN_RECORD_BYTES = 16 * 1024;
  /**
   * Budget of a whole dead letter when the writer knows no better: below Kafka's default
   * {@code max.request.size} (1,048,576) and {@code max.message.bytes} (1,048,588).
   */
  public static final int DEFAULT_MAX_RECORD_BYTES = 1_040_000;
  /** Room kept for the headers {@link #fit} may add. */
  private static final int FIT_RESERVE = 3 * (int) (RecordSize.HEADER_OVERHEAD + 40 + 40);

  /** A dead letter cut to its budget. */
  public record Fitted(String key, byte[] value, Headers headers) {}

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

  /**
   * Cuts a dead letter to at most {@code maxRecordBytes} ({@link RecordSize#upperBound}): a key over
   * {@link #MAX_KEY_BYTES} is cut ({@link #KEY_TRUNCATED_FROM}); the value is cut to what is left
   * after the key and the {@code osprey.dlq.*} headers ({@link #TRUNCATED_FROM}); the producer's
   * headers are kept in order while they fit, the rest dropped ({@link #HEADERS_DROPPED}).
   *
   * @param headers the dead letter's headers as made by {@link #of}
   * @param maxRecordBytes the budget; at least {@link #MIN_RECORD_BYTES}, so the reason always fits
   * @throws IllegalArgumentException if {@code maxRecordBytes} is below 16 KiB
   */
  public static Fitted fit(String key, byte[] value, Headers headers, int maxRecordBytes) {
    if (maxRecordBytes < MIN_RECORD_BYTES) {
      throw new IllegalArgumentException("maxRecordBytes must be >= 16384, got " + maxRecordBytes);
    }
    RecordHeaders own = new RecordHeaders();
    List<Header> producers = new ArrayList<>();
    for (Header h : headers) {
      if (!h.key().startsWith(PREFIX)) {
        producers.add(h);
      } else if (!h.key().equals(TRUNCATED_FROM) && !h.key().equals(HEADERS_DROPPED)
          && !h.key().equals(KEY_TRUNCATED_FROM)) {
        own.add(h);
      }
    }
    int keyLength = RecordSize.utf8Length(key);
    String fittedKey = RecordSize.cutUtf8(key, MAX_KEY_BYTES);
    if (keyLength > MAX_KEY_BYTES) {
      own.add(KEY_TRUNCATED_FROM, utf8(Integer.toString(keyLength)));
    }
    long fixed = RecordSize.upperBound(RecordSize.utf8Length(fittedKey), 0, own) + FIT_RESERVE;
    long room = Math.max(0, maxRecordBytes - fixed);
    byte[] fittedValue = value;
    if (value != null && value.length > Math.min(room, MAX_VALUE_BYTES)) {
      fittedValue = Arrays.copyOf(value, (int) Math.min(room, MAX_VALUE_BYTES));
      own.add(TRUNCATED_FROM, utf8(Integer.toString(value.length)));
    }
    room -= fittedValue == null ? 0 : fittedValue.length;
    RecordHeaders out = new RecordHeaders();
    int dropped = 0;
    long droppedBytes = 0;
    for (Header h : producers) {
      long size = RecordSize.headerBytes(h);
      if (size <= room) {
        out.add(h);
        room -= size;
      } else {
        dropped++;
        droppedBytes += size;
      }
    }
    if (dropped > 0) {
      own.add(HEADERS_DROPPED, utf8(dropped + " headers, " + droppedBytes + " bytes"));
    }
    own.forEach(out::add);
    return new Fitted(fittedKey, fittedValue, out);
  }

  /**
   * The dead letter of a consumed record: same key, headers as {@link #of}, all of it cut to
   * {@link #DEFAULT_MAX_RECORD_BYTES} by {@link #fit}.
   */
  public static ProducerRecord<String, byte[]> record(String dlqTopic, ConsumerRecord<String, byte[]> source,
      InvalidEventException reject) {
    return record(dlqTopic, source, reject, DEFAULT_MAX_RECORD_BYTES);
  }

  /** As {@link #record(String, ConsumerRecord, InvalidEventException)}, cut to {@code maxRecordBytes}. */
  public static ProducerRecord<String, byte[]> record(String dlqTopic, ConsumerRecord<String, byte[]> source,
      InvalidEventException reject, int maxRecordBytes) {
    byte[] v = source.value();
    Headers headers = of(source.headers(), reject, source.topic(), source.partition(), source.offset(),
        v == null ? 0 : v.length);
    Fitted f = fit(source.key(), v, headers, maxRecordBytes);
    return new ProducerRecord<>(dlqTopic, null, f.key(), f.value(), f.headers());
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
