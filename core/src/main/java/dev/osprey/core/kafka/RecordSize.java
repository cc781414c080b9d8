package dev.osprey.core.kafka;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * An upper bound of the bytes one record takes on the wire when it is alone in a batch: what the
 * producer compares with {@code max.request.size} and the broker with the topic's
 * {@code max.message.bytes} (before compression, so the bound holds whatever the codec). Every
 * varint is counted at its widest, so the bound is never below Kafka's own estimate.
 */
public final class RecordSize {
  /** The v2 record batch header. */
  public static final int BATCH_OVERHEAD = 61;
  /** Length, attributes, timestamp delta, offset delta, key length, value length, header count, at their widest. */
  public static final int RECORD_OVERHEAD = 5 + 1 + 10 + 5 + 5 + 5 + 5;
  /** Key length and value length of one header, at their widest. */
  public static final int HEADER_OVERHEAD = 5 + 5;

  private RecordSize() {}

  /** The bound for a record with these key and value lengths (bytes; a null key or value is 0) and headers. */
  public static long upperBound(int keyBytes, int valueBytes, Headers headers) {
    return (long) BATCH_OVERHEAD + RECORD_OVERHEAD + keyBytes + valueBytes + headerBytes(headers);
  }

  /** The bytes {@code headers} add to a record, at most. */
  public static long headerBytes(Headers headers) {
    long total = 0;
    if (headers != null) {
      for (Header h : headers) {
        total += headerBytes(h);
      }
    }
    return total;
  }

  /** The bytes one header adds to a record, at most. */
  public static long headerBytes(Header h) {
    return HEADER_OVERHEAD + utf8Length(h.key()) + (h.value() == null ? 0 : h.value().length);
  }

  /** Length of {@code s} in UTF-8 (0 for null), without encoding it. */
  public static int utf8Length(String s) {
    if (s == null) {
      return 0;
    }
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3; // a BMP char, or a lone surrogate (encoded as '?': 1 byte, so 3 is an over-estimate)
      }
    }
    return n;
  }

  /** {@code s} cut to at most {@code maxBytes} of UTF-8, at a code point boundary. */
  public static String cutUtf8(String s, int maxBytes) {
    if (s == null || utf8Length(s) <= maxBytes) {
      return s;
    }
    int n = 0;
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      if (n + len > maxBytes) {
        break;
      }
      n += len;
      i += Character.charCount(cp);
    }
    return s.substring(0, i);
  }
}
