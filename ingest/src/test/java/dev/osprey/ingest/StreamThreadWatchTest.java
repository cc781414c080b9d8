package dev.osprey.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class StreamThreadWatchTest {
  /** A clock the test moves. */
  private static final class TestClock extends Clock {
    Instant now = Instant.ofEpochSecond(1_700_000_000L);

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void aThreadThatKeepsDyingIsAFailureUntilTheWindowPasses() {
    TestClock clock = new TestClock();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    StreamThreadWatch watch = new StreamThreadWatch(meters, Duration.ofMinutes(10), 3, clock);
    assertNull(watch.failing());
    for (int i = 0; i < 2; i++) {
      assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, watch.onUncaught(new StreamsException("poison " + i)));
      clock.now = clock.now.plusSeconds(45);
    }
    assertNull(watch.failing(), "two deaths in 90 s are not yet a pattern");
    watch.onUncaught(new StreamsException("poison 2"));
    String failing = watch.failing();
    assertTrue(failing != null && failing.startsWith("stream thread died and was replaced 3 times in the last PT10M")
        && failing.contains("poison 2"), failing);
    assertEquals(3.0, meters.get(StreamThreadWatch.REPLACEMENTS).counter().count());

    clock.now = clock.now.plus(Duration.ofMinutes(10)).minusSeconds(1);
    assertEquals(1, watch.recentReplacements());
    assertNull(watch.failing(), "healthy again once the deaths age out of the window");
  }
}
