package dev.osprey.trainer.loop;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock the test moves by hand. */
final class FakeClock implements InstantSource {
  private long millis;

  FakeClock(long millis) {
    this.millis = millis;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis);
  }

  @Override
  public long millis() {
    return millis;
  }

  void set(long newMillis) {
    millis = newMillis;
  }

  void advance(Duration d) {
    millis += d.toMillis();
  }
}
