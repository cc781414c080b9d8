package dev.osprey.core.event;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fast path of {@link EventCodec#decodeSample}: one pass over the bytes with Jackson's streaming
 * parser, for the plain shape of a tensor sample (the serving path decodes every record; building a
 * JSON tree and converting it took about two thirds of the inference loop's own time).
 *
 * <p>It accepts only what it is sure the tree path accepts, with the same result: known fields with
 * their exact JSON types, a tensor with a known dtype, string attributes, a valid id, nothing after
 * the object, base64 decoded by the same code. Anything else (tabular features, a field twice, a number where a string belongs, a
 * null, trailing content, bad base64) returns null and the tree path decides, so a rejection is worded
 * by one code path only. {@code StreamingSampleDecoderTest} checks both paths agree.
 */
final class StreamingSampleDecoder {
  private final JsonFactory factory;
  private final Base64Variant base64;

  StreamingSampleDecoder(JsonFactory factory, Base64Variant base64) {
    this.factory = factory;
    this.base64 = base64;
  }

  /** The sample, or null when the tree path must decide. */
  Sample decode(byte[] json) {
    if (json == null || json.length == 0) {
      return null;
    }
    try (JsonParser p = factory.createParser(json)) {
      Sample s = sample(p);
      // trailing content: let the tree path decide what it means
      return s != null && p.nextToken() == null ? s : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private Sample sample(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    Integer schema = null;
    String id = null;
    Long timestamp = null;
    Tensor tensor = null;
    Map<String, String> attributes = null;
    boolean attributesSeen = false;
    for (String field; (field = nextField(p)) != null; ) {
      JsonToken v = p.currentToken();
      switch (field) {
        case "schemaVersion" -> {
          if (schema != null || v != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            return null;
          }
          schema = p.getIntValue();
        }
        case "id" -> {
          if (id != null || v != JsonToken.VALUE_STRING) {
            return null;
          }
          id = p.getText();
        }
        case "timestamp" -> {
          if (timestamp != null || v != JsonToken.VALUE_NUMBER_INT
              || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            return null;
          }
          timestamp = p.getLongValue();
        }
        case "tensor" -> {
          if (tensor != null || v != JsonToken.START_OBJECT || (tensor = tensor(p)) == null) {
            return null;
          }
        }
        case "attributes" -> {
          if (attributesSeen || v != JsonToken.START_OBJECT || (attributes = attributes(p)) == null) {
            return null;
          }
          attributesSeen = true;
        }
        case "features" -> {
          return null; // tabular samples (and "features": null) take the tree path
        }
        default -> p.skipChildren(); // unknown fields are ignored, as the tree path ignores them
      }
    }
    if (schema == null || schema != Sample.SCHEMA_VERSION || id == null || timestamp == null || tensor == null) {
      return null;
    }
    try {
      SampleIds.check("id", id);
    } catch (InvalidEventException e) {
      return null;
    }
    return new Sample(schema, id, timestamp, tensor, null, attributes);
  }

  private Tensor tensor(JsonParser p) throws IOException {
    DType dtype = null;
    List<Integer> shape = null;
    String data = null;
    for (String field; (field = nextField(p)) != null; ) {
      JsonToken v = p.currentToken();
      switch (field) {
        case "dtype" -> {
          if (dtype != null || v != JsonToken.VALUE_STRING) {
            return null;
          }
          try {
            dtype = DType.fromWire(p.getText());
          } catch (IllegalArgumentException unknown) {
            return null;
          }
        }
        case "shape" -> {
          if (shape != null || v != JsonToken.START_ARRAY) {
            return null;
          }
          shape = new ArrayList<>(4);
          for (JsonToken d = p.nextToken(); d != JsonToken.END_ARRAY; d = p.nextToken()) {
            if (d != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
              return null;
            }
            shape.add(p.getIntValue());
          }
        }
        case "data" -> {
          if (data != null || v != JsonToken.VALUE_STRING) {
            return null;
          }
          data = p.getText();
        }
        default -> p.skipChildren();
      }
    }
    if (dtype == null || shape == null || data == null) {
      return null;
    }
    // the very decoding the tree path's conversion runs (TextNode's). Not the parser's own base64
    // reader: it skips a raw tab inside the string that JSON itself rejects (the test found one).
    return new Tensor(dtype, shape, new TextNode(data).getBinaryValue(base64));
  }

  private static Map<String, String> attributes(JsonParser p) throws IOException {
    Map<String, String> out = new HashMap<>();
    for (String key; (key = nextField(p)) != null; ) {
      if (p.currentToken() != JsonToken.VALUE_STRING || out.put(key, p.getText()) != null) {
        return null;
      }
    }
    return out;
  }

  /**
   * Inside an object: the next field's name, with the parser moved onto its value; null at the
   * object's end.
   *
   * @throws IOException on anything else (malformed: the tree path words it)
   */
  static String nextField(JsonParser p) throws IOException {
    JsonToken t = p.nextToken();
    if (t == JsonToken.END_OBJECT) {
      return null;
    }
    if (t != JsonToken.FIELD_NAME) {
      throw new IOException("not a field");
    }
    String field = p.currentName();
    p.nextToken();
    return field;
  }
}
