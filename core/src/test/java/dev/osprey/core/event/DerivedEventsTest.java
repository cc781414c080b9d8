package dev.osprey.core.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.osprey.core.topic.JsonSerde;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The events the joins, the monitor and the explain service write: factories, invariants, strict decoding. */
class DerivedEventsTest {
  private final EventCodec codec = new EventCodec();

  @Test
  void outcomeScoresAPredictionAgainstItsLabel() {
    Prediction p = GoldenEventsTest.prediction();
    Outcome wrong = Outcome.of(p, Feedback.of("sample-000001", 9, null, 1732350000002L), 1732350000100L);
    assertEquals(7, wrong.predicted());
    assertEquals(9, wrong.actual());
    assertFalse(wrong.correct());
    assertEquals(0.9731f, wrong.confidence());
    assertEquals(0.0164f, wrong.labelProbability());
    assertEquals(-10L, wrong.delayMillis(), "label before the prediction: negative delay");
    assertNull(wrong.labelSource());
    assertFalse(codec.encodeToString(wrong).contains("labelSource"), "absent, not null");
    assertThrows(IllegalArgumentException.class, () -> Outcome.of(p, Feedback.of("other", 7, null, 1L), 2L));
    assertThrows(IllegalArgumentException.class, () -> Outcome.of(p, Feedback.of("sample-000001", 10, null, 1L), 2L));
  }

  @Test
  void labeledSampleKeepsTheInputAndGivesTheSampleBack() {
    Sample s = GoldenEventsTest.sample();
    LabeledSample l = LabeledSample.of(s, GoldenEventsTest.feedback(), 5L);
    assertEquals(s.tensor(), l.tensor());
    assertEquals(7, l.label());
    assertEquals(new Sample(1, s.id(), s.timestamp(), s.tensor(), null, null), l.toSample());
    assertThrows(IllegalArgumentException.class, () -> LabeledSample.of(s, Feedback.of("x", 1, null, 1L), 2L));
    assertThrows(IllegalArgumentException.class, () -> new LabeledSample(1, "a", null, null, 1, null, 1L, 1L, 1L));
  }

  @Test
  void topAttributionsByMagnitudeWithTiesToTheLowerIndex() {
    float[] values = {0.1f, -0.5f, 0.5f, 0f, 0.3f};
    assertEquals(List.of(new Attribution(1, -0.5f), new Attribution(2, 0.5f), new Attribution(4, 0.3f)),
        Attribution.topByMagnitude(values, 3));
    assertEquals(5, Attribution.topByMagnitude(values, 99).size());
    assertEquals(List.of(), Attribution.topByMagnitude(values, 0));
    assertThrows(IllegalArgumentException.class, () -> new Attribution(0, Float.NaN));
  }

  @Test
  void explanationAttributionsAndDriftKey() throws Exception {
    Explanation e = codec.decodeExplanation(GoldenEventsTest.read("explanation.json").getBytes(StandardCharsets.UTF_8));
    assertEquals(0.4213f, e.attributionValues()[0]);
    assertEquals(-0.0831f, e.attributionValues()[1]);
    assertEquals(Attribution.topByMagnitude(e.attributionValues(), 2), e.topFeatures());
    DriftReport d = codec.decodeDriftReport(GoldenEventsTest.read("drift-report.json").getBytes(StandardCharsets.UTF_8));
    assertEquals("digits/page-hinkley", d.key());
    assertEquals(DriftReport.State.ALARM, d.state());
    assertEquals(5991L, d.onsetOffsets().get("1"));
  }

  /**
   * Each golden fixture with one field replaced ({@code field=json value}) or removed ({@code field=}),
   * and the reason the strict decoder gives.
   */
  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "labeled-sample-tensor.json|schemaVersion=2|unsupported-schema",
        "labeled-sample-tensor.json|label=-1|invalid-field",
        "labeled-sample-tensor.json|label=|missing-field",
        "labeled-sample-tensor.json|sampleId=\" \"|invalid-field",
        "labeled-sample-tensor.json|features={\"a\":1.0}|invalid-field",
        "labeled-sample-tensor.json|tensor=|missing-field",
        "labeled-sample-tensor.json|tensor={\"dtype\":\"uint8\",\"shape\":[2],\"data\":\"AA==\"}|shape-mismatch",
        "labeled-sample-tensor.json|tensor={\"dtype\":\"int64\",\"shape\":[1],\"data\":\"AA==\"}|unknown-dtype",
        "labeled-sample-features.json|features={\"a\":NaN}|non-finite",
        "labeled-sample-features.json|labelSource=5|invalid-field",
        "outcome.json|schemaVersion=0|unsupported-schema",
        "outcome.json|correct=false|invalid-field",
        "outcome.json|correct=\"true\"|invalid-field",
        "outcome.json|actual=10|invalid-field",
        "outcome.json|modelVersion=0|invalid-field",
        "outcome.json|delayMillis=|missing-field",
        "outcome.json|probabilities=|missing-field",
        "drift-report.json|schemaVersion=2|unsupported-schema",
        "drift-report.json|state=\"WARN\"|invalid-field",
        "drift-report.json|state=|missing-field",
        "drift-report.json|detector=\"\"|invalid-field",
        "drift-report.json|samplesSeen=-1|invalid-field",
        "drift-report.json|statistic=NaN|invalid-field",
        "drift-report.json|onsetOffsets=[1]|invalid-field",
        "explanation.json|schemaVersion=2|unsupported-schema",
        "explanation.json|attributions={\"dtype\":\"uint8\",\"shape\":[2],\"data\":\"AAA=\"}|invalid-field",
        "explanation.json|attributions={\"dtype\":\"float32\",\"shape\":[3],\"data\":\"orTXPlUwqr0=\"}|shape-mismatch",
        "explanation.json|attributions={\"dtype\":\"float32\",\"shape\":[1],\"data\":\"AADAfw==\"}|non-finite",
        "explanation.json|attributions=|missing-field",
        "explanation.json|topFeatures=[{\"index\":2,\"value\":0.1}]|invalid-field",
        "explanation.json|topFeatures=[{\"value\":0.1}]|missing-field",
        "explanation.json|targetLabel=-1|invalid-field",
        "explanation.json|trigger=|missing-field",
        "explanation.json|completenessResidual=\"x\"|invalid-field",
      })
  void strictDecodersRejectWithReason(String fixture, String change, String reason) throws Exception {
    String json = GoldenEventsTest.read(fixture);
    String field = change.substring(0, change.indexOf('='));
    String value = change.substring(change.indexOf('=') + 1);
    var node = (com.fasterxml.jackson.databind.node.ObjectNode) codec.mapper().readTree(json);
    if (value.isEmpty()) {
      node.remove(field);
    } else {
      node.set(field, codec.mapper().readTree(value));
    }
    JsonSerde.Decoder<?> decoder = switch (fixture.substring(0, fixture.indexOf('.'))) {
      case "labeled-sample-tensor", "labeled-sample-features" -> codec::decodeLabeledSample;
      case "outcome" -> codec::decodeOutcome;
      case "drift-report" -> codec::decodeDriftReport;
      default -> codec::decodeExplanation;
    };
    byte[] bad = codec.mapper().writeValueAsBytes(node);
    InvalidEventException e = assertThrows(InvalidEventException.class, () -> decoder.decode(bad));
    assertEquals(reason, e.reason().code(), e.detail());
  }

  @Test
  void constructorRefusalsReachTheCallerAsTheirOwnMessage() {
    String json = "{\"schemaVersion\":1,\"sampleId\":\"s\",\"features\":{\"a\":1.0},\"label\":-3,"
        + "\"sampleTimestamp\":1,\"labelTimestamp\":1,\"timestamp\":1}";
    InvalidEventException e = assertThrows(InvalidEventException.class,
        () -> codec.decodeLabeledSample(json.getBytes(StandardCharsets.UTF_8)));
    assertEquals("'label' must be >= 0, got -3", e.detail());
  }

  @Test
  void emptyOptionalMapsAreWrittenAsEmptyObjects() {
    DriftReport d = new DriftReport(1, "r", "m", 1, "ph", DriftReport.State.CLEAR, 0.0, 1.0, 0, 10.0, 0L, null,
        null, null, 3L);
    assertEquals("{\"schemaVersion\":1,\"reportId\":\"r\",\"modelName\":\"m\",\"modelVersion\":1,\"detector\":\"ph\","
        + "\"state\":\"CLEAR\",\"statistic\":0.0,\"threshold\":1.0,\"windowSize\":0,\"ertSamples\":10.0,\"samplesSeen\":0,"
        + "\"onsetOffsets\":{},\"details\":{},\"timestamp\":3}", codec.encodeToString(d));
    assertEquals(Map.of(), d.details());
  }
}
