package dev.osprey.core.event;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Where a prediction's sample was read: its partition and offset in {@code osprey.samples}. The
 * inference service writes it with each prediction as the record header {@value #HEADER} (ASCII
 * {@code <partition>@<offset>}, e.g. {@code 2@18734}), so a reader that needs the sample itself
 * (the explain service) fetches that one record instead of reading the whole samples topic. A
 * header, not a field: it is where the record came from, not what the model said, and the
 * prediction's JSON (and {@code POST /v1/predict}'s answer) stays the same.
 *
 * @param partition the samples topic's partition, >= 0
 * @param offset the sample's offset in it, >= 0
 */
public record SamplePosition(int partition, long offset) {
  /** The record header of a prediction that carries its sample's position. */
  public static final String HEADER = "osprey.sample.position";

  /** @throws IllegalArgumentException if the partition or the offset is negative */
  public SamplePosition {
    if (partition < 0 || offset < 0) {
      throw new IllegalArgumentException("partition and offset must be >= 0, got " + partition + "@" + offset);
    }
  }

  /** The header's value: ASCII {@code partition@offset}. */
  public byte[] headerValue() {
    return (partition + "@" + offset).getBytes(StandardCharsets.US_ASCII);
  }

  /** The position in a record's headers (the last {@value #HEADER}), or null if it has none or it is malformed. */
  public static SamplePosition of(Headers headers) {
    Header h = headers == null ? null : headers.lastHeader(HEADER);
    return h == null ? null : parse(h.value());
  }

  /** Parses {@code partition@offset}; null if the value is not that. */
  public static SamplePosition parse(byte[] value) {
    if (value == null || value.length < 3 || value.length > 32) {
      return null;
    }
    int at = -1;
    for (int i = 0; i < value.length; i++) {
      if (value[i] == '@') {
        if (at >= 0) {
          return null;
        }
        at = i;
      } else if (value[i] < '0' || value[i] > '9') {
        return null;
      }
    }
    if (at <= 0 || at == value.length - 1 || at > 10 || value.length - at - 1 > 19) {
      return null;
    }
    try {
      long partition = Long.parseLong(new String(value, 0, at, StandardCharsets.US_ASCII));
      long offset = Long.parseLong(new String(value, at + 1, value.length - at - 1, StandardCharsets.US_ASCII));
      return partition > Integer.MAX_VALUE ? null : new SamplePosition((int) partition, offset);
    } catch (NumberFormatException e) {
      return null; // e.g. an offset above Long.MAX_VALUE
    }
  }

  @Override
  public String toString() {
    return partition + "@" + offset;
  }
}
