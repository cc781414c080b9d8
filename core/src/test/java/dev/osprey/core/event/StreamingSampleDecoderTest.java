package dev.osprey.core.event;

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

  /** What a decode gave: the sample, or the rejection's reason and detail. */
  private record Result(Sample sample, RejectReason reason, String detail) {}

  private static Result of(ThrowingDecode decode, byte[] json) {
    try {
      return new Result(decode.apply(json), null, null);
    } catch (InvalidEventException e) {
      return new Result(null, e.reason(), e.detail());
    }
  }

  private interface ThrowingDecode {
    Sample apply(byte[] json) throws InvalidEventException;
  }

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

  private static byte[] mutate(String seed, Random random) {
    StringBuilder s = new StringBuilder(seed);
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int at = random.nextInt(s.length() + 1);
      switch (random.nextInt(4)) {
        case 0 -> s.insert(at, FRAGMENTS.get(random.nextInt(FRAGMENTS.size())));
        case 1 -> {
          if (at < s.length()) {
            s.deleteCharAt(at);
          }
        }
        case 2 -> {
          int to = Math.min(s.length(), at + 1 + random.nextInt(12));
          s.delete(at, to);
        }
        default -> {
          if (at < s.length()) {
            s.setCharAt(at, (char) (' ' + random.nextInt(95)));
          }
        }
      }
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theFastPathAndTheTreePathAgreeOnMutatedEvents() {
    Random random = new Random(20261129);
    int fastTaken = 0;
    int accepted = 0;
    for (int i = 0; i < 30_000; i++) {
      String seed = SEEDS.get(i % SEEDS.size());
      byte[] json = i < SEEDS.size() ? seed.getBytes(StandardCharsets.UTF_8) : mutate(seed, random);
      Result tree = of(codec::decodeSampleTree, json);
      Result decoded = of(codec::decodeSample, json);
      String what = new String(json, StandardCharsets.UTF_8);
      assertEquals(tree, decoded, what);
      Sample viaFast = fast.decode(json);
      if (viaFast != null) {
        fastTaken++;
        assertEquals(tree.sample(), viaFast, "the fast path took an event the tree path decides otherwise: " + what);
      }
      if (tree.sample() != null) {
        accepted++;
      }
    }
    // not vacuous: the fast path takes most accepted events, and many are rejected
    assertTrue(fastTaken > accepted / 2, fastTaken + " fast of " + accepted + " accepted");
    assertTrue(accepted > 1_000 && accepted < 27_000, accepted + " accepted");
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
}
