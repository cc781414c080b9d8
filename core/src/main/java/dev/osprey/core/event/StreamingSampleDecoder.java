package dev.osprey.core.event;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
  /** ASCII char -> its 6 bits in {@link #base64}'s alphabet, -1 for anything else (padding too). */
  private final byte[] sextets = new byte[128];

  StreamingSampleDecoder(JsonFactory factory, Base64Variant base64) {
    this.factory = factory;
    this.base64 = base64;
    for (char c = 0; c < sextets.length; c++) {
      int v = base64.decodeBase64Char(c);
      sextets[c] = (byte) (v >= 0 ? v : -1);
    }
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
    byte[] data = null;
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
          // straight from the parser's buffer: no String, no builder (they were a third of the
          // serving loop's own time); anything but plain padded base64 takes the tree path
          if ((data = canonicalBase64(p.getTextCharacters(), p.getTextOffset(), p.getTextLength())) == null) {
            return null;
          }
        }
        default -> p.skipChildren();
      }
    }
    if (dtype == null || shape == null || data == null) {
      return null;
    }
    return new Tensor(dtype, shape, data);
  }

  /**
   * Decodes base64 of the plain form only: groups of four alphabet characters, the last group
   * ending in one or two padding characters or none, nothing else (no whitespace, no line breaks,
   * no missing padding). The bytes are what the tree path's decoding (Jackson's {@code Base64Variant},
   * via {@code TextNode}) makes of the same text, bit for bit: the bits a padded group leaves over
   * are dropped, as it drops them. Not the parser's own base64 reader: it skips a raw tab inside
   * the string that JSON itself rejects (the test found one).
   *
   * @return the bytes, or null for anything else (the tree path then decides)
   */
  byte[] canonicalBase64(char[] text, int offset, int length) {
    if (length % 4 != 0 || !base64.usesPadding() || !base64.acceptsPaddingOnRead()) {
      return null;
    }
    char pad = base64.getPaddingChar();
    int padding = length == 0 ? 0 : text[offset + length - 1] != pad ? 0 : text[offset + length - 2] != pad ? 1 : 2;
    byte[] out = new byte[length / 4 * 3 - padding];
    int groups = length / 4 - (padding > 0 ? 1 : 0);
    int in = offset;
    int at = 0;
    for (int g = 0; g < groups; g++, in += 4) {
      int bits = sextet(text[in]) << 18 | sextet(text[in + 1]) << 12 | sextet(text[in + 2]) << 6 | sextet(text[in + 3]);
      if (bits < 0) {
        return null; // one of them was not in the alphabet: -1 set every bit
      }
      out[at++] = (byte) (bits >> 16);
      out[at++] = (byte) (bits >> 8);
      out[at++] = (byte) bits;
    }
    if (padding == 2) {
      int bits = sextet(text[in]) << 6 | sextet(text[in + 1]);
      if (bits < 0) {
        return null;
      }
      out[at] = (byte) (bits >> 4);
    } else if (padding == 1) {
      int bits = sextet(text[in]) << 12 | sextet(text[in + 1]) << 6 | sextet(text[in + 2]);
      if (bits < 0) {
        return null;
      }
      out[at++] = (byte) (bits >> 10);
      out[at] = (byte) (bits >> 2);
    }
    return out;
  }

  private int sextet(char c) {
    return c < 128 ? sextets[c] : -1;
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
