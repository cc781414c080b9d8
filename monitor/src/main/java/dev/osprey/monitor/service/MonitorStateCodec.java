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
 * The monitor's saved state of one model on its state topic: JSON, gzipped (a model's windows hold
 * a few hundred observations; compressed they stay far below Kafka's 1 MiB record limit).
 */
final class MonitorStateCodec {
  /** Format version, first byte of every record; a monitor refuses states of another format. */
  static final int FORMAT = 1;

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
    return out.toByteArray();
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
