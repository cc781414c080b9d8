package dev.osprey.core.event;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.osprey.core.topic.JsonSerde;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventCodecTest {
  private final EventCodec codec = new EventCodec();
  private final SampleValidator validator = new SampleValidator(codec, 4096);

  static String pixels784() {
    byte[] b = new byte[784];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i % 256);
    }
    return Base64.getEncoder().encodeToString(b);
  }

  /** The example in docs/events.md, with real base64 data. */
  static String docsExample() {
    return "{\"schemaVersion\":1,\"id\":\"sample-000001\",\"timestamp\":1732350000000,"
        + "\"tensor\":{\"dtype\":\"uint8\",\"shape\":[1,28,28],\"data\":\"" + pixels784() + "\"},"
        + "\"attributes\":{\"source\":\"camera-7\"}}";
  }

  @Test
  void docsExampleDecodesAndRoundTrips() throws Exception {
    Sample s = validator.parse(docsExample().getBytes(StandardCharsets.UTF_8));
    assertEquals("sample-000001", s.id());
    assertEquals(1732350000000L, s.timestamp());
    assertEquals(DType.UINT8, s.tensor().dtype());
    assertEquals(784, s.tensor().elementCount());
    assertEquals(255f, s.tensor().toFloats()[255]);
    assertEquals(Map.of("source", "camera-7"), s.attributes());
    assertEquals(s, codec.decodeSample(codec.encode(s)));
  }

  /** Every JSON example in docs/events.md decodes strictly, as the event of its section, and round-trips. */
  @Test
  void everyExampleInTheDocsIsValid() throws Exception {
    String md = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "events.md"));
    SampleValidator docsValidator = new SampleValidator(codec, SampleValidator.DEFAULT_MAX_BYTES);
    Map<String, JsonSerde.Decoder<?>> bySection = Map.of(
        "## Sample", docsValidator::parse,
        "## Feedback", codec::decodeFeedback,
        "## Prediction", codec::decodePrediction,
        "## Model activation", codec::decodeModelActivation,
        "## Labeled sample", codec::decodeLabeledSample,
        "## Outcome", codec::decodeOutcome,
        "## Drift report", codec::decodeDriftReport,
        "## Explanation", codec::decodeExplanation,
        // written only by the trainer; its topic decodes without the input events' strict checks
        "## Run transition", json -> codec.decode(json, RunTransition.class));
    Map<String, Integer> examples = new java.util.TreeMap<>();
    String section = "";
    var m = java.util.regex.Pattern.compile("(?m)^(## [^(\\n]*)[^\\n]*$|```json\\n(.*?)\\n```", java.util.regex.Pattern.DOTALL)
        .matcher(md);
    while (m.find()) {
      if (m.group(1) != null) {
        section = m.group(1).strip();
        continue;
      }
      JsonSerde.Decoder<?> decoder = bySection.get(section);
      assertNotNull(decoder, "a JSON example under '" + section + "'");
      Object event = decoder.decode(m.group(2).getBytes(StandardCharsets.UTF_8));
      assertEquals(event, decoder.decode(codec.encode(event)), section);
      examples.merge(section, 1, Integer::sum);
    }
    assertEquals(Map.of("## Sample", 2, "## Feedback", 1, "## Prediction", 1, "## Model activation", 1,
        "## Labeled sample", 2, "## Outcome", 1, "## Drift report", 1, "## Explanation", 1, "## Run transition", 1), examples);
  }

  @Test
  void float32TensorIsLittleEndian() throws Exception {
    Tensor t = Tensor.ofFloat32(new float[] {1f, -2.5f}, 2);
    assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0x20, (byte) 0xc0}, t.data());
    Sample s = Sample.ofTensor("f", 1L, t, null);
    assertArrayEquals(new float[] {1f, -2.5f}, validator.parse(codec.encode(s)).tensor().toFloats());
  }

  @Test
  void tabularSampleAndFeedback() throws Exception {
    Sample s = Sample.ofFeatures("t1", 5L, Map.of("mean_radius", 14.2, "texture", 19.0), Map.of());
    assertEquals(s, validator.parse(codec.encode(s)));
    Feedback f = codec.decodeFeedback(
        "{\"schemaVersion\":1,\"sampleId\":\"sample-000001\",\"label\":7,\"source\":\"annotator-3\",\"timestamp\":1732350060000}"
            .getBytes(StandardCharsets.UTF_8));
    assertEquals(Feedback.of("sample-000001", 7, "annotator-3", 1732350060000L), f);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "not-json|{nope",
        "not-json|[1,2]",
        "missing-field|{\"schemaVersion\":1,\"timestamp\":1,\"features\":{\"a\":1}}",
        "missing-field|{\"schemaVersion\":1,\"id\":\"x\",\"timestamp\":1}",
        "missing-field|{\"id\":\"x\",\"timestamp\":1,\"features\":{\"a\":1}}",
        "unsupported-schema|{\"schemaVersion\":9,\"id\":\"x\",\"timestamp\":1,\"features\":{\"a\":1}}",
        "invalid-field|{\"schemaVersion\":1,\"id\":5,\"timestamp\":1,\"features\":{\"a\":1}}",
        "invalid-field|{\"schemaVersion\":1,\"id\":\" \",\"timestamp\":1,\"features\":{\"a\":1}}",
        "unknown-dtype|{\"schemaVersion\":1,\"id\":\"x\",\"timestamp\":1,\"tensor\":{\"dtype\":\"int64\",\"shape\":[1],\"data\":\"AA==\"}}",
        "shape-mismatch|{\"schemaVersion\":1,\"id\":\"x\",\"timestamp\":1,\"tensor\":{\"dtype\":\"uint8\",\"shape\":[2,2],\"data\":\"AAA=\"}}",
        "shape-mismatch|{\"schemaVersion\":1,\"id\":\"x\",\"timestamp\":1,\"tensor\":{\"dtype\":\"float32\",\"shape\":[2],\"data\":\"AAAAAA==\"}}",
        "non-finite|{\"schemaVersion\":1,\"id\":\"x\",\"timestamp\":1,\"tensor\":{\"dtype\":\"float32\",\"shape\":[1],\"data\":\"AADAfw==\"}}",
        "non-finite|{\"schemaVersion\":1,\"id\":\"x\",\"timestamp\":1,\"features\":{\"a\":NaN}}",
      })
  void rejectsWithReason(String code, String json) {
    InvalidEventException e =
        assertThrows(InvalidEventException.class, () -> validator.parse(json.getBytes(StandardCharsets.UTF_8)));
    assertEquals(code, e.reason().code(), e.detail());
  }

  @Test
  void predictionAndActivationRoundTrip() throws Exception {
    Prediction p = new Prediction(Prediction.SCHEMA_VERSION, "s-1", "digits", 2, 1, "1", 0.75f,
        java.util.List.of(0.25f, 0.75f), null, "onnx-cpu", "int8", 10L, 12L);
    String json = codec.encodeToString(p);
    assertEquals(false, json.contains("embedding"), json);
    assertEquals(p, codec.decodePrediction(json.getBytes(StandardCharsets.UTF_8)));
    ModelActivation a = ModelActivation.of("digits", 2, 5L, "test", "because").withManifestSha256("ab");
    assertEquals(a, codec.decodeModelActivation(codec.encode(a)));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "missing-field|{\"schemaVersion\":1,\"version\":1,\"activatedAt\":1}",
        "invalid-field|{\"schemaVersion\":1,\"modelName\":\"d\",\"version\":0,\"activatedAt\":1}",
        "invalid-field|{\"schemaVersion\":1,\"modelName\":\" \",\"version\":1,\"activatedAt\":1}",
        "unsupported-schema|{\"schemaVersion\":2,\"modelName\":\"d\",\"version\":1,\"activatedAt\":1}",
      })
  void rejectsBadActivation(String code, String json) {
    InvalidEventException e = assertThrows(
        InvalidEventException.class, () -> codec.decodeModelActivation(json.getBytes(StandardCharsets.UTF_8)));
    assertEquals(code, e.reason().code(), e.detail());
  }

  @Test
  void rejectsOversized() {
    byte[] big = new byte[5000];
    InvalidEventException e = assertThrows(InvalidEventException.class, () -> validator.parse(big));
    assertEquals(RejectReason.TOO_LARGE, e.reason());
    assertEquals("event is 5000 bytes, limit is 4096", e.detail());
  }

  @Test
  void validatorRejectsNonPositiveLimit() {
    assertThrows(IllegalArgumentException.class, () -> new SampleValidator(codec, 0));
  }
}
