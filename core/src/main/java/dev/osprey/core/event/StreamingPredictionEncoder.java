package dev.osprey.core.event;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The fast path of {@link EventCodec#encode} for a {@link Prediction}: the fields written one by
 * one with Jackson's generator, in the record's order, nulls left out. The serving path encodes one
 * per sample; the mapper's bean serialization (a serializer lookup and a reflective accessor call
 * per field) was most of the transaction thread's own time. Writes exactly the bytes the mapper
 * writes ({@code StreamingPredictionEncoderTest} compares them), so the schema has one definition:
 * the record.
 */
final class StreamingPredictionEncoder {
  private final JsonFactory factory;

  StreamingPredictionEncoder(JsonFactory factory) {
    this.factory = factory;
  }

  byte[] encode(Prediction p) {
    try (ByteArrayBuilder out = new ByteArrayBuilder(320)) {
      try (JsonGenerator g = factory.createGenerator(out, JsonEncoding.UTF8)) {
        g.writeStartObject();
        g.writeNumberField("schemaVersion", p.schemaVersion());
        string(g, "sampleId", p.sampleId());
        string(g, "modelName", p.modelName());
        g.writeNumberField("modelVersion", p.modelVersion());
        g.writeNumberField("label", p.label());
        string(g, "labelName", p.labelName());
        g.writeNumberField("confidence", p.confidence());
        floats(g, "probabilities", p.probabilities());
        floats(g, "embedding", p.embedding());
        string(g, "runtime", p.runtime());
        string(g, "precision", p.precision());
        g.writeNumberField("sampleTimestamp", p.sampleTimestamp());
        g.writeNumberField("timestamp", p.timestamp());
        g.writeEndObject();
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode a prediction", e); // writing to memory: cannot happen
    }
  }

  private static void string(JsonGenerator g, String name, String value) throws IOException {
    if (value != null) {
      g.writeStringField(name, value);
    }
  }

  private static void floats(JsonGenerator g, String name, List<Float> values) throws IOException {
    if (values == null) {
      return;
    }
    g.writeArrayFieldStart(name);
    for (Float v : values) {
      g.writeNumber(v); // never null: the record copies with List.copyOf
    }
    g.writeEndArray();
  }
}
