package dev.osprey.monitor.service;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The monitor's saved state of one model on its state topic: JSON, gzipped. Its size is bounded by
 * the configured windows, not by traffic (see {@link MonitorSettings#estimatedStateBytes()}); a
 * state over {@link #MAX_BYTES} is refused here, by name, rather than by the broker.
 */
final class MonitorStateCodec {
  /**
   * Format version, first byte of every record; a monitor refuses states of another format. 2: the
   * quality time window as per-bucket sums (1 kept its outcomes, and grew with traffic).
   */
  static final int FORMAT = 2;
  /** The format before 2: read as "no state" (the model starts fresh, with a warning). */
  static final int FORMAT_OUTCOMES_IN_TIME_WINDOW = 1;
  /**
   * Largest state record written: under Kafka's default 1 MiB producer {@code max.request.size}
   * and topic {@code max.message.bytes}, with room for the key and the batch headers.
   */
  static final int MAX_BYTES = 1_000_000;

  private final ObjectMapper json = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  byte[] encode(ModelStream.State state) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(FORMAT);
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      json.writeValue(gz, state);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode the state of " + state.model(), e);
    }
    byte[] bytes = out.toByteArray();
    if (bytes.length > MAX_BYTES) {
      throw new IllegalStateException("the saved state of model " + state.model() + " is " + bytes.length
          + " bytes, over the state topic's limit of " + MAX_BYTES + "; lower " + MonitorConfig.KEY_COUNT_WINDOW + ", "
          + MonitorConfig.KEY_ESTIMATE_WINDOW + ", " + MonitorConfig.KEY_VERSIONS_KEPT + " or " + MonitorConfig.KEY_WINDOW);
    }
    return bytes;
  }

  /** The format byte of a record, or -1 if it has none. */
  static int format(byte[] bytes) {
    return bytes == null || bytes.length < 2 ? -1 : bytes[0];
  }

  /** @throws IllegalArgumentException if the bytes are not a state of this format */
  ModelStream.State decode(byte[] bytes) {
    if (bytes == null || bytes.length < 2 || bytes[0] != FORMAT) {
      throw new IllegalArgumentException("not a monitor state of format " + FORMAT);
    }
    try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(bytes, 1, bytes.length - 1))) {
      return json.readValue(gz, ModelStream.State.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot decode a monitor state: " + e.getMessage(), e);
    }
  }
}
