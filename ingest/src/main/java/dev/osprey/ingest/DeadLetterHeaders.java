package dev.osprey.ingest;

import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.topic.DeadLetterHeaderNames;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The DLQ header contract (names in core's {@link DeadLetterHeaderNames}, shared with inference). A dead-lettered record keeps its original key and value bytes; these
 * headers (UTF-8 strings) say why and where it came from. Headers the producer set are kept, except
 * stale {@code osprey.dlq.*} ones, which are replaced.
 */
public final class DeadLetterHeaders {
  /** The {@link dev.osprey.core.event.RejectReason#code()}, e.g. {@code shape-mismatch}. */
  public static final String REASON = DeadLetterHeaderNames.REASON;
  /** Human-readable detail, at most {@value #MAX_DETAIL_CHARS} characters. */
  public static final String DETAIL = DeadLetterHeaderNames.DETAIL;
  public static final String SOURCE_TOPIC = DeadLetterHeaderNames.SOURCE_TOPIC;
  /** Decimal partition number of the source record. */
  public static final String SOURCE_PARTITION = DeadLetterHeaderNames.SOURCE_PARTITION;
  /** Decimal offset of the source record. */
  public static final String SOURCE_OFFSET = DeadLetterHeaderNames.SOURCE_OFFSET;

  /**
   * Present only when the value was cut: the original length in bytes, decimal. A value longer than
   * {@link #MAX_VALUE_BYTES} is cut to that length, because a full copy plus headers could exceed the
   * producer's default 1 MiB request limit and fail the stream on every retry.
   */
  public static final String TRUNCATED_FROM = "osprey.dlq.truncated.from";
  /** Longest value copied to the DLQ unchanged. */
  public static final int MAX_VALUE_BYTES = 1_000_000;

  static final int MAX_DETAIL_CHARS = DeadLetterHeaderNames.MAX_DETAIL_CHARS;
  private static final String PREFIX = DeadLetterHeaderNames.PREFIX;

  private DeadLetterHeaders() {}

  /** The original headers minus stale DLQ ones, plus the reason and the source coordinates. */
  static Headers of(
      Headers original, InvalidEventException reject, String fallbackTopic, RecordMetadata source, int valueLength) {
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
    out.add(SOURCE_TOPIC, utf8(source == null ? fallbackTopic : source.topic()));
    out.add(SOURCE_PARTITION, utf8(source == null ? "-1" : Integer.toString(source.partition())));
    out.add(SOURCE_OFFSET, utf8(source == null ? "-1" : Long.toString(source.offset())));
    if (valueLength > MAX_VALUE_BYTES) {
      out.add(TRUNCATED_FROM, utf8(Integer.toString(valueLength)));
    }
    return out;
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
