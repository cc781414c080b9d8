package dev.osprey.core.event;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The field-by-field encoding of a {@link Prediction} against the mapper's: the same bytes for
 * 20,000 random predictions (seeded) with nulls, empty and long lists, odd strings and floats of
 * every magnitude; and served predictions decode back to themselves.
 */
class StreamingPredictionEncoderTest {
  private final EventCodec codec = new EventCodec();

  @Test
  void writesExactlyTheMappersBytes() throws Exception {
    Random random = new Random(5);
    for (int i = 0; i < 20_000; i++) {
      Prediction p = random(random);
      byte[] expected = codec.encodeBound(p);
      byte[] actual = codec.encode(p);
      assertArrayEquals(expected, actual, () -> new String(expected, StandardCharsets.UTF_8) + "\n"
          + new String(actual, StandardCharsets.UTF_8));
    }
  }

  @Test
  void servedPredictionsDecodeBackToThemselves() throws Exception {
    Random r = new Random(9);
    for (int i = 0; i < 2_000; i++) {
      Prediction p = new Prediction(1, "digit-" + i, "digits", 1 + r.nextInt(9), r.nextInt(10), "x", r.nextFloat(),
          probabilities(r, 10), r.nextBoolean() ? null : probabilities(r, 32), "onnx-cpu", "int8", r.nextLong() >>> 20,
          r.nextLong() >>> 20);
      assertEquals(p, codec.decodePrediction(codec.encode(p)));
    }
  }

  @Test
  void aServedPredictionReadsAsDocumented() {
    Prediction p = new Prediction(1, "digit-7", "digits", 3, 7, "7", 0.75f, List.of(0.25f, 0.75f), null, "onnx-cpu",
        "int8", 1732350000000L, 1732350000012L);
    assertEquals("{\"schemaVersion\":1,\"sampleId\":\"digit-7\",\"modelName\":\"digits\",\"modelVersion\":3,\"label\":7,"
        + "\"labelName\":\"7\",\"confidence\":0.75,\"probabilities\":[0.25,0.75],\"runtime\":\"onnx-cpu\","
        + "\"precision\":\"int8\",\"sampleTimestamp\":1732350000000,\"timestamp\":1732350000012}",
        new String(codec.encode(p), StandardCharsets.UTF_8));
  }

  private static Prediction random(Random r) {
    int classes = r.nextInt(5) == 0 ? r.nextInt(3) : 10;
    List<Float> probabilities = floats(r, classes);
    List<Float> embedding = r.nextBoolean() ? null : floats(r, r.nextInt(40));
    return new Prediction(r.nextInt(3), text(r), text(r), r.nextInt(), r.nextInt(), text(r), number(r), probabilities,
        embedding, text(r), text(r), r.nextLong(), r.nextLong());
  }

  private static List<Float> floats(Random r, int n) {
    List<Float> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(number(r));
    }
    return out;
  }

  private static List<Float> probabilities(Random r, int n) {
    List<Float> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(r.nextFloat());
    }
    return out;
  }

  /** Probabilities mostly, and now and then any float at all (subnormal, huge, negative, NaN). */
  private static float number(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> Float.intBitsToFloat(r.nextInt());
      case 1 -> (float) Math.pow(10, -r.nextInt(45)) * r.nextFloat();
      case 2 -> r.nextInt(3) - 1f;
      default -> r.nextFloat();
    };
  }

  private static String text(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> null;
      case 1 -> "";
      case 2 -> "quote \" backslash \\ tab \t nul \u0000 é 漢 \ud83d\ude00";
      default -> "digit-" + r.nextInt(100_000);
    };
  }
}
