package dev.osprey.core.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Samples crafted to slip through validation: wrapping shapes, absurd ranks, ids Kafka would alter. */
class HostileSampleTest {
  private final EventCodec codec = new EventCodec();
  private final SampleValidator validator = new SampleValidator(codec, 1 << 20);

  private static String sample(String idJson, String shape, int dataBytes) {
    String data = Base64.getEncoder().encodeToString(new byte[dataBytes]);
    return "{\"schemaVersion\":1,\"id\":" + idJson + ",\"timestamp\":1,"
        + "\"tensor\":{\"dtype\":\"uint8\",\"shape\":" + shape + ",\"data\":\"" + data + "\"}}";
  }

  private InvalidEventException rejected(String json) {
    return assertThrows(InvalidEventException.class, () -> validator.parse(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aShapeWhoseElementCountWrapsAroundIsRejected() {
    // 26983373 * 218641 * 31267408 overflows a long and wraps to exactly 784.
    assertEquals(784L, 26983373L * 218641L * 31267408L);
    InvalidEventException e = rejected(sample("\"s1\"", "[26983373,218641,31267408]", 784));
    assertEquals(RejectReason.SHAPE_MISMATCH, e.reason());
    assertEquals(-1, new Tensor(DType.UINT8, java.util.List.of(26983373, 218641, 31267408), new byte[784]).elementCount());
  }

  @Test
  void aDimensionLargerThanTheDataIsRejectedEvenWithZeros() {
    assertEquals(RejectReason.SHAPE_MISMATCH, rejected(sample("\"s1\"", "[2147483647,0]", 784)).reason());
  }

  @Test
  void tooManyDimensionsAreRejected() {
    InvalidEventException e = rejected(sample("\"s1\"", "[1,1,1,1,1,1,1,1,1,784]", 784));
    assertEquals(RejectReason.SHAPE_MISMATCH, e.reason());
    assertTrue(e.detail().contains("10 dimensions"), e.detail());
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"a\\ud800b\"", "\"\\udc00\"", "\"tail\\ud83d\"", "\"nul\\u0000id\""})
  void idsThatKafkaKeysWouldAlterAreRejected(String idJson) {
    InvalidEventException e = rejected(sample(idJson, "[1,28,28]", 784));
    assertEquals(RejectReason.INVALID_FIELD, e.reason());
  }

  @Test
  void aValidSurrogatePairIdRoundTripsThroughUtf8() throws Exception {
    Sample s = validator.parse(sample("\"digit-\\ud83d\\ude00\"", "[1,28,28]", 784).getBytes(StandardCharsets.UTF_8));
    assertEquals(s.id(), new String(s.id().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
  }

  @Test
  void feedbackForALoneSurrogateIdIsRejected() {
    String json = "{\"schemaVersion\":1,\"sampleId\":\"x\\ud800\",\"label\":3,\"source\":\"h\",\"timestamp\":1}";
    InvalidEventException e = assertThrows(
        InvalidEventException.class, () -> codec.decodeFeedback(json.getBytes(StandardCharsets.UTF_8)));
    assertEquals(RejectReason.INVALID_FIELD, e.reason());
  }

  @Test
  void anOverlongIdIsRejected() {
    assertEquals(RejectReason.INVALID_FIELD, rejected(sample("\"" + "x".repeat(SampleIds.MAX_LENGTH + 1) + "\"", "[1,28,28]", 784)).reason());
  }
}
