package dev.osprey.core.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The streaming fast path of {@link EventCodec#decodePrediction} against the tree path: on 30,000
 * mutated predictions (seeded) both give the same prediction or the same rejection, and the fast
 * path takes only events the tree path accepts, with the same float values.
 */
class StreamingPredictionDecoderTest {
  private final EventCodec codec = new EventCodec();
  private final StreamingPredictionDecoder fast = new StreamingPredictionDecoder(codec.mapper().getFactory());

  private static final List<Float> PROBABILITIES = List.of(0.01f, 0.02f, 0.9f, 0.01f, 0.01f, 0.01f, 0.01f, 0.01f,
      0.01f, 0.01f);

  private final List<String> seeds = List.of(
      codec.encodeToString(new Prediction(1, "digit-7", "digits", 3, 2, "2", 0.9f, PROBABILITIES, null, "onnx-cpu",
          "int8", 1732350000000L, 1732350000050L)),
      codec.encodeToString(new Prediction(1, "e", "digits", 1, 0, null, 0.3333333f, List.of(0.3333333f, 0.6666667f),
          List.of(1.5f, -2.25f, 1e-7f), null, null, 0L, 5L)),
      "{\"timestamp\":7,\"sampleTimestamp\":6,\"probabilities\":[1,0.5,3e-2],\"confidence\":1,\"label\":0,\"modelVersion\":2,"
          + "\"modelName\":\"m\",\"sampleId\":\"s\",\"schemaVersion\":1,\"unknown\":{\"a\":[1,{\"b\":null}]}}",
      "{\"schemaVersion\":1,\"sampleId\":\"n\",\"modelName\":\"m\",\"modelVersion\":1,\"label\":1,\"confidence\":NaN,"
          + "\"probabilities\":[0.1000000000000000055511151231257827,0.9],\"timestamp\":1,\"sampleTimestamp\":2}");

  private static final List<String> FRAGMENTS = List.of(
      "\"", "{", "}", "[", "]", ",", ":", "null", "true", "1.0", "-1", "1e3", "1e400", "-0", "99999999999999999999",
      "3.4028236e38", "0.1e1", "NaN", "\"label\":\"3\",", "\"confidence\":null,", "\"probabilities\":[0.1,null],",
      "\"embedding\":null,", "\"sampleId\":5,", "\"modelVersion\":2.0,", "\"schemaVersion\":2,", "\"timestamp\":\"1\",",
      "\"labelName\":7,", "\"sampleTimestamp\":1.5,", "\"modelName\":\"dup\",", " ");

  @Test
  void theFastPathAndTheTreePathAgreeOnMutatedPredictions() {
    MutatedJson.assertPathsAgree(seeds, FRAGMENTS, codec::decodePrediction, codec::decodePredictionTree, fast::decode);
  }

  @Test
  void whatInferenceWritesTakesTheFastPath() {
    Prediction p = fast.decode(seeds.get(0).getBytes(StandardCharsets.UTF_8));
    assertNotNull(p);
    assertEquals(PROBABILITIES, p.probabilities());
    assertEquals("int8", p.precision());
    assertEquals(1732350000000L, p.sampleTimestamp());
  }
}
