package dev.osprey.core.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/** Seeded mutations of a JSON event for the streaming decoders' differential tests. */
final class MutatedJson {
  private MutatedJson() {}

  /** One to three edits of {@code seed}: a fragment inserted, a character or a run deleted, a character replaced. */
  static byte[] mutate(String seed, List<String> fragments, Random random) {
    StringBuilder s = new StringBuilder(seed);
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int at = random.nextInt(s.length() + 1);
      switch (random.nextInt(4)) {
        case 0 -> s.insert(at, fragments.get(random.nextInt(fragments.size())));
        case 1 -> {
          if (at < s.length()) {
            s.deleteCharAt(at);
          }
        }
        case 2 -> {
          int to = Math.min(s.length(), at + 1 + random.nextInt(12));
          s.delete(at, to);
        }
        default -> {
          if (at < s.length()) {
            s.setCharAt(at, (char) (' ' + random.nextInt(95)));
          }
        }
      }
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }
  /** What a decode gave: the event, or the rejection's reason and detail. */
  record Outcome(Object event, RejectReason reason, String detail) {}

  /** A decoder under test. */
  interface Decode {
    Object apply(byte[] json) throws InvalidEventException;
  }

  static Outcome outcome(Decode decode, byte[] json) {
    try {
      return new Outcome(decode.apply(json), null, null);
    } catch (InvalidEventException e) {
      return new Outcome(null, e.reason(), e.detail());
    }
  }

  /**
   * The differential check: {@code cases} events (the seeds, then seeded mutations of them) decoded
   * by the codec ({@code decode}) and by the tree path alone give the same event or the same
   * rejection, and whatever the fast path alone takes equals the tree path's event. Not vacuous:
   * the fast path takes most accepted events, and both many accepted and many rejected events occur.
   */
  static void assertPathsAgree(List<String> seeds, List<String> fragments, Decode decode, Decode tree, Decode fast) {
    Random random = new Random(20261129);
    int fastTaken = 0;
    int accepted = 0;
    for (int i = 0; i < 30_000; i++) {
      String seed = seeds.get(i % seeds.size());
      byte[] json = i < seeds.size() ? seed.getBytes(StandardCharsets.UTF_8) : mutate(seed, fragments, random);
      Outcome byTree = outcome(tree, json);
      String what = new String(json, StandardCharsets.UTF_8);
      assertEquals(byTree, outcome(decode, json), what);
      Object viaFast = outcome(fast, json).event();
      if (viaFast != null) {
        fastTaken++;
        assertEquals(byTree.event(), viaFast, "the fast path took an event the tree path decides otherwise: " + what);
      }
      if (byTree.event() != null) {
        accepted++;
      }
    }
    assertTrue(fastTaken > accepted / 2, fastTaken + " fast of " + accepted + " accepted");
    assertTrue(accepted > 1_000 && accepted < 27_000, accepted + " accepted");
  }
}
