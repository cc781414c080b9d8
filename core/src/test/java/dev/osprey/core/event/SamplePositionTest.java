package dev.osprey.core.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SamplePositionTest {
  @Test
  void roundTripsThroughItsHeader() {
    for (SamplePosition p : new SamplePosition[] {new SamplePosition(0, 0), new SamplePosition(2, 18_734),
        new SamplePosition(Integer.MAX_VALUE, Long.MAX_VALUE)}) {
      RecordHeaders headers = new RecordHeaders();
      headers.add("other", new byte[] {1});
      headers.add(SamplePosition.HEADER, p.headerValue());
      assertEquals(p, SamplePosition.of(headers));
    }
    assertEquals("2@18734", new String(new SamplePosition(2, 18_734).headerValue(), StandardCharsets.US_ASCII));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1", "@1", "1@", "1@@2", "-1@2", "1@-2", "a@1", "1@2 ", " 1@2", "1@99999999999999999999",
      "99999999999@1", "2147483648@1", "1.0@2"})
  void malformedValuesAreNoPosition(String value) {
    assertNull(SamplePosition.parse(value.getBytes(StandardCharsets.US_ASCII)), value);
  }

  @Test
  void absentIsNoPosition() {
    assertNull(SamplePosition.of(new RecordHeaders()));
    assertNull(SamplePosition.of(null));
    assertNull(SamplePosition.parse(null));
    assertThrows(IllegalArgumentException.class, () -> new SamplePosition(-1, 0));
    assertThrows(IllegalArgumentException.class, () -> new SamplePosition(0, -1));
  }
}
