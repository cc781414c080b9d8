package dev.osprey.core.event;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

  /** Every JSON example in docs/events.md decodes and validates: the doc cannot rot. */
  @Test
  void everyExampleInTheDocsIsValid() throws Exception {
    String md = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "events.md"));
    var m = java.util.regex.Pattern.compile("```json\\n(.*?)\\n```", java.util.regex.Pattern.DOTALL).matcher(md);
    int samples = 0;
    int feedback = 0;
    int predictions = 0;
    int activations = 0;
    while (m.find()) {
      byte[] json = m.group(1).getBytes(StandardCharsets.UTF_8);
      if (m.group(1).contains("\"probabilities\"")) {
        Prediction p = codec.decodePrediction(json);
        assertEquals(p, codec.decodePrediction(codec.encode(p)));
        assertEquals(p.probabilities().get(p.label()).doubleValue(), p.confidence(), 1e-6);
        predictions++;
      } else if (m.group(1).contains("\"activatedAt\"")) {
        ModelActivation a = codec.decodeModelActivation(json);
        assertEquals(a, codec.decodeModelActivation(codec.encode(a)));
        activations++;
      } else if (m.group(1).contains("\"sampleId\"")) {
        codec.decodeFeedback(json);
        feedback++;
      } else {
        Sample s = new SampleValidator(codec, SampleValidator.DEFAULT_MAX_BYTES).parse(json);
        assertEquals(s, codec.decodeSample(codec.encode(s)));
        samples++;
      }
    }
    assertEquals(2, samples);
    assertEquals(1, feedback);
    assertEquals(1, predictions);
    assertEquals(1, activations);
    assertEquals(codec.decodeSample(docsExample().getBytes(StandardCharsets.UTF_8)),
        new SampleValidator(codec, SampleValidator.DEFAULT_MAX_BYTES).parse(docsExample().getBytes(StandardCharsets.UTF_8)));
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
