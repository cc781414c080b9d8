package dev.osprey.monitor.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MonitorStateCodecTest {
  private static ModelStream.State state(int recentIds, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < recentIds; i++) {
      ids.add(Long.toHexString(rnd.nextLong()) + Long.toHexString(rnd.nextLong()));
    }
    return new ModelStream.State("digits", recentIds, 0, 0, 0, null, Map.of(), ids, new int[recentIds],
        new long[recentIds], Map.of());
  }

  @Test
  void roundTripsAndNamesItsFormat() {
    MonitorStateCodec codec = new MonitorStateCodec();
    byte[] bytes = codec.encode(state(800, 1));
    assertEquals(MonitorStateCodec.FORMAT, MonitorStateCodec.format(bytes));
    assertEquals(state(800, 1).recentIds(), codec.decode(bytes).recentIds());
    // a record of the format before the time window's buckets is recognised (the service starts that model fresh)
    bytes[0] = MonitorStateCodec.FORMAT_OUTCOMES_IN_TIME_WINDOW;
    assertEquals(1, MonitorStateCodec.format(bytes));
    assertThrows(IllegalArgumentException.class, () -> codec.decode(bytes));
  }

  @Test
  void aStateOverTheRecordLimitIsRefusedByName() {
    // 80,000 random 32-hex-digit ids: about 1.5 MB gzipped
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new MonitorStateCodec().encode(state(80_000, 2)));
    assertTrue(e.getMessage().contains("model digits") && e.getMessage().contains("over the state topic's limit of 1000000"),
        e.getMessage());
  }
}
