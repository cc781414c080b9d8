package dev.osprey.core.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Predicate;

/**
 * The one JSON codec for Osprey events. Encoding never fails for a valid record; decoding is
 * strict and reports why an event is rejected ({@link InvalidEventException#reason()}).
 *
 * <p>Thread-safe: the underlying {@link ObjectMapper} is configured once and only read.
 */
public final class EventCodec {
  private final ObjectMapper mapper;
  private final StreamingSampleDecoder samples;
  private final StreamingPredictionDecoder predictions;

  public EventCodec() {
    this.mapper =
        JsonMapper.builder()
            // Producers may add fields we do not know yet; unknown fields are ignored, not fatal.
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // Map fields are immutable copies with no fixed order; sorted keys make an event's
            // encoding reproducible byte for byte (golden fixtures, dedupe by hash).
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            // Python's json.dumps writes NaN/Infinity literals: parse them so the validator can
            // reject them with the precise reason (non-finite) rather than "not JSON".
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            // Schubfach instead of Float.toString: the shortest decimal that reads back to the same
            // float (what JDK 19+ prints too); Float.toString took 8% of the serving loop's Java time
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            // and FastDoubleParser to read them (exact, as Double.parseDouble): parsing the ten
            // probabilities of a prediction was 15% of the explain loop's Java time
            .enable(com.fasterxml.jackson.core.StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .build();
    this.samples = new StreamingSampleDecoder(mapper.getFactory(), mapper.getDeserializationConfig().getBase64Variant());
    this.predictions = new StreamingPredictionDecoder(mapper.getFactory());
  }

  /** The configured mapper, for codecs of later event types (predictions, models, ...). */
  public ObjectMapper mapper() {
    return mapper;
  }

  public byte[] encode(Object event) {
    try {
      return mapper.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot encode " + event.getClass().getSimpleName(), e);
    }
  }

  public String encodeToString(Object event) {
    try {
      return mapper.writeValueAsString(event);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot encode " + event.getClass().getSimpleName(), e);
    }
  }

  /** Decodes a sample, checking structure (not shape/value semantics: see {@link SampleValidator}). */
  public Sample decodeSample(byte[] json) throws InvalidEventException {
    Sample plain = samples.decode(json); // one streaming pass; null for anything but the plain shape
    return plain != null ? plain : decodeSampleTree(json);
  }

  /** The tree path of {@link #decodeSample}: decides every sample the streaming pass does not take. */
  Sample decodeSampleTree(byte[] json) throws InvalidEventException {
    JsonNode node = readTree(json);
    checkSchema(node, Sample.SCHEMA_VERSION);
    require(node, "id", JsonNode::isTextual);
    require(node, "timestamp", JsonNode::isIntegralNumber);
    requireInput(node);
    SampleIds.check("id", node.get("id").asText());
    return convert(node, Sample.class);
  }

  /** Decodes a feedback event. */
  public Feedback decodeFeedback(byte[] json) throws InvalidEventException {
    JsonNode node = readTree(json);
    checkSchema(node, Feedback.SCHEMA_VERSION);
    require(node, "sampleId", JsonNode::isTextual);
    require(node, "label", JsonNode::isIntegralNumber);
    require(node, "timestamp", JsonNode::isIntegralNumber);
    SampleIds.check("sampleId", node.get("sampleId").asText());
    requireAtLeast(node, "label", 0);
    return convert(node, Feedback.class);
  }

  /** Decodes a prediction, checking schema version and the fields every consumer relies on. */
  public Prediction decodePrediction(byte[] json) throws InvalidEventException {
    Prediction plain = predictions.decode(json); // one streaming pass; null for anything but the plain shape
    return plain != null ? plain : decodePredictionTree(json);
  }

  /** The tree path of {@link #decodePrediction}. */
  Prediction decodePredictionTree(byte[] json) throws InvalidEventException {
    JsonNode node = readTree(json);
    checkSchema(node, Prediction.SCHEMA_VERSION);
    require(node, "sampleId", JsonNode::isTextual);
    require(node, "modelName", JsonNode::isTextual);
    require(node, "modelVersion", JsonNode::isIntegralNumber);
    require(node, "label", JsonNode::isIntegralNumber);
    require(node, "confidence", JsonNode::isNumber);
    require(node, "probabilities", JsonNode::isArray);
    require(node, "timestamp", JsonNode::isIntegralNumber);
    return convert(node, Prediction.class);
  }

  /** Decodes a model activation; the version must be >= 1 and the name non-blank. */
  public ModelActivation decodeModelActivation(byte[] json) throws InvalidEventException {
    JsonNode node = readTree(json);
    checkSchema(node, ModelActivation.SCHEMA_VERSION);
    require(node, "modelName", JsonNode::isTextual);
    require(node, "version", JsonNode::isIntegralNumber);
    require(node, "activatedAt", JsonNode::isIntegralNumber);
    requireNonBlank(node, "modelName");
    requireAtLeast(node, "version", 1);
    return convert(node, ModelActivation.class);
  }

  /** Decodes a training example (a sample joined with its label), input checked as a sample's. */
  public LabeledSample decodeLabeledSample(byte[] json) throws InvalidEventException {
    JsonNode node = readTree(json);
    checkSchema(node, LabeledSample.SCHEMA_VERSION);
    requireAll(node, JsonNode::isTextual, "sampleId");
    requireAll(node, JsonNode::isIntegralNumber, "label", "sampleTimestamp", "labelTimestamp", "timestamp");
    optional(node, "labelSource", JsonNode::isTextual);
    requireInput(node);
    LabeledSample labeled = convert(node, LabeledSample.class);
    SampleValidator.checkInput(labeled.tensor(), labeled.features());
    return labeled;
  }

  /** Decodes a prediction scored against its label. */
  public Outcome decodeOutcome(byte[] json) throws InvalidEventException {
    JsonNode node = readTree(json);
    checkSchema(node, Outcome.SCHEMA_VERSION);
    requireAll(node, JsonNode::isTextual, "sampleId", "modelName");
    requireAll(node, JsonNode::isIntegralNumber, "modelVersion", "predicted", "actual", "predictionTimestamp",
        "labelTimestamp", "delayMillis", "timestamp");
    requireAll(node, JsonNode::isBoolean, "correct");
    requireAll(node, JsonNode::isNumber, "confidence", "labelProbability");
    requireAll(node, JsonNode::isArray, "probabilities");
    optional(node, "labelSource", JsonNode::isTextual);
    return convert(node, Outcome.class);
  }

  /** Decodes a drift detector's report; {@code state} must be {@code ALARM} or {@code CLEAR}. */
  public DriftReport decodeDriftReport(byte[] json) throws InvalidEventException {
    JsonNode node = readTree(json);
    checkSchema(node, DriftReport.SCHEMA_VERSION);
    requireAll(node, JsonNode::isTextual, "reportId", "modelName", "detector", "state");
    requireAll(node, JsonNode::isIntegralNumber, "modelVersion", "windowSize", "samplesSeen", "timestamp");
    requireAll(node, JsonNode::isNumber, "statistic", "threshold", "ertSamples");
    optional(node, "onsetSampleId", JsonNode::isTextual);
    optional(node, "onsetOffsets", JsonNode::isObject);
    optional(node, "details", JsonNode::isObject);
    String state = node.get("state").asText();
    if (!state.equals(DriftReport.State.ALARM.name()) && !state.equals(DriftReport.State.CLEAR.name())) {
      throw new InvalidEventException(RejectReason.INVALID_FIELD, "'state' must be ALARM or CLEAR, got '" + state + "'");
    }
    return convert(node, DriftReport.class);
  }

  /** Decodes an explanation; the attributions must be a consistent, finite float32 tensor. */
  public Explanation decodeExplanation(byte[] json) throws InvalidEventException {
    JsonNode node = readTree(json);
    checkSchema(node, Explanation.SCHEMA_VERSION);
    requireAll(node, JsonNode::isTextual, "sampleId", "modelName", "runtime", "precision", "method", "trigger");
    requireAll(node, JsonNode::isIntegralNumber, "modelVersion", "targetLabel", "predictionTimestamp", "timestamp");
    requireAll(node, JsonNode::isArray, "topFeatures");
    optional(node, "parameters", JsonNode::isObject);
    optional(node, "timingsMillis", JsonNode::isObject);
    optional(node, "completenessResidual", JsonNode::isNumber);
    require(node, "attributions", JsonNode::isObject);
    Tensor attributions = convert(requireTensor(node.get("attributions"), "attributions."), Tensor.class);
    if (attributions.dtype() != DType.FLOAT32) {
      throw new InvalidEventException(RejectReason.INVALID_FIELD, "'attributions' must be float32");
    }
    SampleValidator.checkTensor(attributions, "attributions");
    for (JsonNode top : node.get("topFeatures")) {
      requireAll(top, JsonNode::isIntegralNumber, "index");
      requireAll(top, JsonNode::isNumber, "value");
    }
    return convert(node, Explanation.class);
  }

  /** Decodes any event record type without validation, e.g. from a topic that holds only valid events. */
  public <T> T decode(byte[] json, Class<T> type) {
    try {
      return mapper.readValue(json, type);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode " + type.getSimpleName(), e);
    }
  }

  private JsonNode readTree(byte[] json) throws InvalidEventException {
    if (json == null || json.length == 0) {
      throw new InvalidEventException(RejectReason.NOT_JSON, "empty value");
    }
    try {
      JsonNode node = mapper.readTree(json);
      if (node == null || !node.isObject()) {
        throw new InvalidEventException(RejectReason.NOT_JSON, "value is not a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new InvalidEventException(RejectReason.NOT_JSON, "not JSON: " + firstLine(e.getMessage()));
    }
  }

  /** Exactly one of {@code tensor} (with a known dtype) or {@code features} (an object) is set. */
  private static void requireInput(JsonNode node) throws InvalidEventException {
    boolean hasTensor = node.hasNonNull("tensor");
    boolean hasFeatures = node.hasNonNull("features");
    if (hasTensor == hasFeatures) {
      throw new InvalidEventException(
          hasTensor ? RejectReason.INVALID_FIELD : RejectReason.MISSING_FIELD,
          "exactly one of 'tensor' or 'features' must be set");
    }
    if (hasTensor) {
      requireTensor(node.get("tensor"), "tensor.");
    } else if (!node.get("features").isObject()) {
      throw new InvalidEventException(RejectReason.INVALID_FIELD, "'features' must be an object of numbers");
    }
  }

  /** A tensor object's fields are present with the right types and its dtype is known. */
  private static JsonNode requireTensor(JsonNode t, String path) throws InvalidEventException {
    require(t, "dtype", JsonNode::isTextual, path);
    require(t, "shape", JsonNode::isArray, path);
    require(t, "data", JsonNode::isTextual, path);
    try {
      DType.fromWire(t.get("dtype").asText());
    } catch (IllegalArgumentException e) {
      throw new InvalidEventException(RejectReason.UNKNOWN_DTYPE, e.getMessage());
    }
    return t;
  }

  private static void checkSchema(JsonNode node, int supported) throws InvalidEventException {
    require(node, "schemaVersion", JsonNode::isIntegralNumber);
    int v = node.get("schemaVersion").asInt();
    if (v != supported) {
      throw new InvalidEventException(
          RejectReason.UNSUPPORTED_SCHEMA, "schemaVersion " + v + " is not supported (expected " + supported + ")");
    }
  }

  private static void requireNonBlank(JsonNode node, String field) throws InvalidEventException {
    if (node.get(field).asText().isBlank()) {
      throw new InvalidEventException(RejectReason.INVALID_FIELD, "'" + field + "' must not be blank");
    }
  }

  private static void requireAtLeast(JsonNode node, String field, long min) throws InvalidEventException {
    if (node.get(field).asLong() < min) {
      throw new InvalidEventException(RejectReason.INVALID_FIELD, "'" + field + "' must be >= " + min);
    }
  }

  private static void require(JsonNode node, String field, Predicate<JsonNode> type) throws InvalidEventException {
    require(node, field, type, "");
  }

  private static void requireAll(JsonNode node, Predicate<JsonNode> type, String... fields) throws InvalidEventException {
    for (String field : fields) {
      require(node, field, type, "");
    }
  }

  /** An optional field, when present and not null, has the right type. */
  private static void optional(JsonNode node, String field, Predicate<JsonNode> type) throws InvalidEventException {
    if (node.hasNonNull(field)) {
      require(node, field, type, "");
    }
  }

  private static void require(
      JsonNode node, String field, Predicate<JsonNode> type, String path)
      throws InvalidEventException {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new InvalidEventException(RejectReason.MISSING_FIELD, "missing field '" + path + field + "'");
    }
    if (!type.test(v)) {
      throw new InvalidEventException(
          RejectReason.INVALID_FIELD, "field '" + path + field + "' has the wrong type (" + v.getNodeType() + ")");
    }
  }

  private <T> T convert(JsonNode node, Class<T> type) throws InvalidEventException {
    try {
      return mapper.treeToValue(node, type);
    } catch (ValueInstantiationException e) {
      // A record's constructor refused the values: its message names the field and the rule.
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new InvalidEventException(RejectReason.INVALID_FIELD, firstLine(cause.getMessage()));
    } catch (IOException | IllegalArgumentException e) {
      throw new InvalidEventException(RejectReason.INVALID_FIELD, firstLine(e.getMessage()));
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    List<String> lines = s.lines().toList();
    return lines.isEmpty() ? "" : lines.get(0);
  }
}
