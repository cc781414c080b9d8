package dev.osprey.core.event;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streaming fast path of {@link EventCodec#decodeSample} against the tree path it stands in
 * for: on 30,000 mutated events (seeded) both give the same sample or the same rejection, and the
 * fast path takes only events the tree path accepts.
 */
class StreamingSampleDecoderTest {
  private final EventCodec codec = new EventCodec();
  private final StreamingSampleDecoder fast = new StreamingSampleDecoder(codec.mapper().getFactory(),
      codec.mapper().getDeserializationConfig().getBase64Variant());

  private static final List<String> SEEDS = List.of(
      "{\"schemaVersion\":1,\"id\":\"digit-7\",\"timestamp\":1732350000000,"
          + "\"tensor\":{\"dtype\":\"uint8\",\"shape\":[1,28,28],\"data\":\"" + b64(784) + "\"},"
          + "\"attributes\":{\"source\":\"replay\",\"device\":\"cam-2\"}}",
      "{\"tensor\":{\"data\":\"" + b64(12) + "\",\"shape\":[3],\"dtype\":\"float32\",\"extra\":[1,{\"a\":2}]},"
          + "\"id\":\"x\",\"schemaVersion\":1,\"timestamp\":5,\"unknown\":{\"deep\":[null,true]}}",
      "{\"schemaVersion\":1,\"id\":\"f\",\"timestamp\":1,\"features\":{\"a\":1.5,\"b\":2}}",
      "{\"schemaVersion\":1,\"id\":\"s\",\"timestamp\":1,\"tensor\":{\"dtype\":\"uint8\",\"shape\":[2,2],\"data\":\"AAECAw==\"},"
          + "\"attributes\":{}}");

  private static String b64(int bytes) {
    byte[] b = new byte[bytes];
    new Random(bytes).nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  /** Fragments a mutation inserts: JSON's own punctuation, other types, duplicates, odd numbers. */
  private static final List<String> FRAGMENTS = List.of(
      "\"", "{", "}", "[", "]", ",", ":", "null", "true", "1.0", "-1", "1e3", "99999999999999999999", "\"id\":\"dup\",",
      "\"schemaVersion\":2,", "\"timestamp\":\"5\",", "\"features\":null,", "\"tensor\":null,", "\"attributes\":{\"n\":1},",
      "\\u0000", "\\ud800", "=", "==", " ", "\"dtype\":\"int4\",", "\"shape\":[1,2147483648],", "NaN", "\"data\":\"@@\",",
      // inside the base64 text: padding, escapes, whitespace, characters of other alphabets
      "A", "AA", "=A", "\\u0041", "\\n", "\\/", "-", "_", "\t", "+/");

  @Test
  void theFastPathAndTheTreePathAgreeOnMutatedEvents() {
    MutatedJson.assertPathsAgree(SEEDS, FRAGMENTS, codec::decodeSample, codec::decodeSampleTree, fast::decode);
  }

  @Test
  void thePlainShapeTakesTheFastPathAndOthersDoNot() {
    Sample s = fast.decode(SEEDS.get(0).getBytes(StandardCharsets.UTF_8));
    assertNotNull(s);
    assertEquals("digit-7", s.id());
    assertEquals(List.of(1, 28, 28), s.tensor().shape());
    assertEquals(784, s.tensor().data().length);
    assertEquals(Map.of("source", "replay", "device", "cam-2"), s.attributes());
    assertNull(fast.decode(SEEDS.get(2).getBytes(StandardCharsets.UTF_8)), "tabular samples take the tree path");
    assertNull(fast.decode("{\"schemaVersion\":1,\"id\":\"a\",\"id\":\"b\",\"timestamp\":1,\"tensor\":{\"dtype\":\"uint8\","
        .concat("\"shape\":[1],\"data\":\"AA==\"}}").getBytes(StandardCharsets.UTF_8)), "a field twice");
  }

  @Test
  void canonicalBase64DecodesEveryLengthAsTheJdkEncoderWroteIt() {
    Random random = new Random(7);
    for (int n = 0; n < 200; n++) {
      byte[] bytes = new byte[n];
      random.nextBytes(bytes);
      char[] text = ("xy" + Base64.getEncoder().encodeToString(bytes) + "z").toCharArray();
      assertArrayEquals(bytes, fast.canonicalBase64(text, 2, text.length - 3), "length " + n);
    }
  }

  /**
   * Random strings over the alphabet, padding, whitespace and foreign characters: whatever the
   * fast decoder takes, Jackson's decoding (the tree path's) takes too, with the same bytes; it
   * takes the plain form only, so it never answers where Jackson would skip or reject.
   */
  @Test
  void canonicalBase64TakesOnlyWhatJacksonDecodesTheSame() {
    com.fasterxml.jackson.core.Base64Variant variant = codec.mapper().getDeserializationConfig().getBase64Variant();
    String chars = "ABCDQRSTabyz0189+/=== \t\n-_\u00e9";
    Random random = new Random(11);
    int taken = 0;
    for (int i = 0; i < 50_000; i++) {
      StringBuilder sb = new StringBuilder();
      int len = random.nextInt(13);
      for (int k = 0; k < len; k++) {
        sb.append(random.nextInt(4) == 0 ? chars.charAt(random.nextInt(chars.length())) : chars.charAt(random.nextInt(14)));
      }
      String text = sb.toString();
      byte[] mine = fast.canonicalBase64(text.toCharArray(), 0, text.length());
      if (mine != null) {
        taken++;
        byte[] jackson;
        try {
          jackson = new com.fasterxml.jackson.databind.node.TextNode(text).getBinaryValue(variant);
        } catch (java.io.IOException | IllegalArgumentException e) {
          throw new AssertionError("the fast decoder took '" + text + "', Jackson rejects it: " + e.getMessage(), e);
        }
        assertArrayEquals(jackson, mine, text);
      }
    }
    assertTrue(taken > 1_000, "the plain form is taken: " + taken);
    // a padded group's left-over bits are dropped, as Jackson drops them
    assertArrayEquals(new byte[] {'A'}, fast.canonicalBase64("QR==".toCharArray(), 0, 4));
    assertNull(fast.canonicalBase64("QQ".toCharArray(), 0, 2), "no padding: the tree path decides");
    assertNull(fast.canonicalBase64("QQ==QUFB".toCharArray(), 0, 8), "padding inside: the tree path decides");
    assertNull(fast.canonicalBase64("QU FB".toCharArray(), 0, 5), "whitespace: the tree path decides");
  }
}
