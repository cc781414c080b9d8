package dev.osprey.core.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.topic.JsonSerde;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The committed golden events (src/test/resources/golden): each decodes, through the codec's strict
 * decoder, to exactly the record below and encodes back to the same bytes. A change that breaks
 * either breaks every consumer of that topic, so it needs a new schema version, not a new fixture.
 */
class GoldenEventsTest {
  private static final EventCodec CODEC = new EventCodec();
  private static final List<Float> PROBABILITIES =
      List.of(0.0001f, 0.0002f, 0.0031f, 0.0052f, 0.0003f, 0.0004f, 0.0001f, 0.9731f, 0.0011f, 0.0164f);

  record Golden<T>(String file, JsonSerde.Decoder<T> decoder, T expected) {
    @Override
    public String toString() {
      return file;
    }
  }

  static Tensor digit() {
    byte[] pixels = new byte[784];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i % 256);
    }
    return Tensor.ofUint8(pixels, 1, 28, 28);
  }

  static Sample sample() {
    return Sample.ofTensor("sample-000001", 1732350000000L, digit(), Map.of("source", "camera-7"));
  }

  static Feedback feedback() {
    return Feedback.of("sample-000001", 7, "annotator-3", 1732350060000L);
  }

  static Prediction prediction() {
    return new Prediction(1, "sample-000001", "digits", 3, 7, "7", 0.9731f, PROBABILITIES, null, "onnx-cpu", "int8",
        1732350000000L, 1732350000012L);
  }

  static Stream<Golden<?>> fixtures() {
    Map<String, Double> tabular = Map.of("mean_radius", 14.2, "mean_texture", 19.0);
    return Stream.of(
        new Golden<>("sample-tensor.json", CODEC::decodeSample, sample()),
        new Golden<>("sample-features.json", CODEC::decodeSample,
            Sample.ofFeatures("bc-0042", 1732350000000L, tabular, Map.of())),
        new Golden<>("feedback.json", CODEC::decodeFeedback, feedback()),
        new Golden<>("prediction.json", CODEC::decodePrediction, prediction()),
        new Golden<>("model-activation.json", CODEC::decodeModelActivation,
            ModelActivation.of("digits", 3, 1732350000000L, "cli:alice", "promotion gate passed")
                .withManifestSha256("9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6")),
        new Golden<>("labeled-sample-tensor.json", CODEC::decodeLabeledSample,
            LabeledSample.of(sample(), feedback(), 1732350060035L)),
        new Golden<>("labeled-sample-features.json", CODEC::decodeLabeledSample,
            new LabeledSample(1, "bc-0042", null, tabular, 1, "pathology", 1732350000000L, 1732436400000L,
                1732436400210L)),
        new Golden<>("outcome.json", CODEC::decodeOutcome, Outcome.of(prediction(), feedback(), 1732350060035L)),
        new Golden<>("drift-report.json", CODEC::decodeDriftReport,
            new DriftReport(1, "digits/page-hinkley/3/18342", "digits", 3, "page-hinkley", DriftReport.State.ALARM,
                52.7, 50.0, 0, 20000.0, 18342L, "sample-017950", Map.of("0", 5983L, "1", 5991L, "2", 5976L),
                Map.of("delta", 0.005, "meanConfidence", 0.8123, "referenceMeanConfidence", 0.9714),
                1732351800000L)),
        new Golden<>("explanation.json", CODEC::decodeExplanation,
            new Explanation(1, "bc-0042", "cancer", 2, "pytorch", "fp32", "integrated-gradients",
                Map.of("baseline", "zeros", "steps", "32"), 1, "sampled", Tensor.ofFloat32(new float[] {0.4213f, -0.0831f}, 2),
                List.of(new Attribution(0, 0.4213f), new Attribution(1, -0.0831f)), 0.0012,
                Map.of("attribution", 3.4, "total", 4.1), 1732350000009L, 1732350000950L)));
  }

  static String read(String file) throws IOException {
    try (InputStream in = GoldenEventsTest.class.getResourceAsStream("/golden/" + file)) {
      assertNotNull(in, "missing fixture golden/" + file);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  <T> void decodesToTheExpectedRecordAndEncodesBackToTheSameBytes(Golden<T> golden) throws Exception {
    String json = read(golden.file());
    T decoded = golden.decoder().decode(json.getBytes(StandardCharsets.UTF_8));
    assertEquals(golden.expected(), decoded);
    assertEquals(json, CODEC.encodeToString(decoded));
    assertEquals(json, CODEC.encodeToString(golden.expected()));
  }

  @Test
  void everyEventTypeHasAFixture() {
    Set<Class<?>> covered = fixtures().map(g -> g.expected().getClass()).collect(Collectors.toSet());
    assertEquals(Set.of(Sample.class, Feedback.class, Prediction.class, ModelActivation.class, LabeledSample.class,
        Outcome.class, DriftReport.class, Explanation.class), covered);
  }

  /** docs/events.md shows the fixtures themselves, so the documented examples are the tested ones. */
  @Test
  void everyFixtureIsAnExampleInTheDocs() throws Exception {
    String md = Files.readString(Path.of("..", "docs", "events.md"));
    for (Golden<?> g : fixtures().toList()) {
      assertTrue(md.contains("```json\n" + read(g.file()) + "\n```"), g.file() + " is not shown in docs/events.md");
    }
  }
}
