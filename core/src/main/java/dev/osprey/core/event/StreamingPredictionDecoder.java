package dev.osprey.core.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The fast path of {@link EventCodec#decodePrediction}, as {@link StreamingSampleDecoder} is for
 * samples: one streaming pass for the shape inference writes (every follower of the predictions
 * topic decodes every record: the tree path was 40% of the explain service's loop). It accepts only
 * fields of their exact JSON types (numbers as numbers, strings as strings, no nulls), each once,
 * nothing after the object; anything else returns null and the tree path decides. Floats are read
 * as the tree path reads them (the double, then narrowed), so both give the same values.
 * {@code StreamingPredictionDecoderTest} checks both paths agree.
 */
final class StreamingPredictionDecoder {
  private final JsonFactory factory;

  StreamingPredictionDecoder(JsonFactory factory) {
    this.factory = factory;
  }

  /** The prediction, or null when the tree path must decide. */
  Prediction decode(byte[] json) {
    if (json == null || json.length == 0) {
      return null;
    }
    try (JsonParser p = factory.createParser(json)) {
      Prediction d = prediction(p);
      return d != null && p.nextToken() == null ? d : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Thrown (without a stack) when the input is not of the plain shape: the tree path decides. */
  private static final class NotPlain extends IOException {
    NotPlain() {
      super(null, null);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  private static Prediction prediction(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    Long schema = null;
    String sampleId = null;
    String modelName = null;
    Long modelVersion = null;
    Long label = null;
    String labelName = null;
    Float confidence = null;
    List<Float> probabilities = null;
    List<Float> embedding = null;
    String runtime = null;
    String precision = null;
    Long sampleTimestamp = null;
    Long timestamp = null;
    for (String field; (field = StreamingSampleDecoder.nextField(p)) != null; ) {
      switch (field) {
        case "schemaVersion" -> schema = once(schema, integer(p, true));
        case "sampleId" -> sampleId = once(sampleId, text(p));
        case "modelName" -> modelName = once(modelName, text(p));
        case "modelVersion" -> modelVersion = once(modelVersion, integer(p, true));
        case "label" -> label = once(label, integer(p, true));
        case "labelName" -> labelName = once(labelName, text(p));
        case "confidence" -> confidence = once(confidence, number(p));
        case "probabilities" -> probabilities = once(probabilities, numbers(p));
        case "embedding" -> embedding = once(embedding, numbers(p));
        case "runtime" -> runtime = once(runtime, text(p));
        case "precision" -> precision = once(precision, text(p));
        case "sampleTimestamp" -> sampleTimestamp = once(sampleTimestamp, integer(p, false));
        case "timestamp" -> timestamp = once(timestamp, integer(p, false));
        default -> p.skipChildren();
      }
    }
    if (schema == null || schema != Prediction.SCHEMA_VERSION || sampleId == null || modelName == null
        || modelVersion == null || label == null || confidence == null || probabilities == null || timestamp == null
        || sampleTimestamp == null) { // a primitive the tree path's binding refuses to leave out
      return null;
    }
    return new Prediction(schema.intValue(), sampleId, modelName, modelVersion.intValue(), label.intValue(), labelName,
        confidence, probabilities, embedding, runtime, precision, sampleTimestamp, timestamp);
  }

  private static <T> T once(T before, T value) throws NotPlain {
    if (before != null) {
      throw new NotPlain(); // a field twice
    }
    return value;
  }

  private static String text(JsonParser p) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw new NotPlain();
    }
    return p.getText();
  }

  /** An integer of int range ({@code intOnly}) or long range. */
  private static Long integer(JsonParser p, boolean intOnly) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
      throw new NotPlain();
    }
    JsonParser.NumberType type = p.getNumberType();
    if (type == JsonParser.NumberType.BIG_INTEGER || (intOnly && type != JsonParser.NumberType.INT)) {
      throw new NotPlain();
    }
    return p.getLongValue();
  }

  /** A number as a float, narrowed from its double as the tree path's conversion does. */
  private static Float number(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if ((t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT)
        || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
        || p.getNumberType() == JsonParser.NumberType.BIG_DECIMAL) {
      throw new NotPlain();
    }
    return (float) p.getDoubleValue();
  }

  private static List<Float> numbers(JsonParser p) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw new NotPlain();
    }
    List<Float> out = new ArrayList<>(16);
    while (p.nextToken() != JsonToken.END_ARRAY) {
      out.add(number(p));
    }
    return out;
  }
}
