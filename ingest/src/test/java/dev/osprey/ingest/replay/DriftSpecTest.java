package dev.osprey.ingest.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.ingest.replay.DriftSpec.Range;
import java.util.List;
import org.junit.jupiter.api.Test;

class DriftSpecTest {
  @Test
  void parsesEveryKind() {
    assertEquals(new DriftSpec.Rotate(30, Range.from(5000)), DriftSpec.parse("rotate:30@5000"));
    assertEquals(new DriftSpec.Noise(0.3, Range.from(2000)), DriftSpec.parse("noise:0.3@2000"));
    assertEquals(new DriftSpec.Invert(Range.from(8000)), DriftSpec.parse("invert@8000"));
    assertEquals(new DriftSpec.BoxBlur(1, Range.from(0)), DriftSpec.parse("blur:1@0"));
    assertEquals(new DriftSpec.GaussianBlur(1.5, new Range(10, 20)), DriftSpec.parse("gblur:1.5@10-20"));
    assertEquals(new DriftSpec.Skew(3, 0.5, Range.from(0)), DriftSpec.parse("skew:3=0.5@0"));
    assertEquals(new DriftSpec.Withhold(7, new Range(0, 5000)), DriftSpec.parse("withhold:7@0-5000"));
    assertEquals(new DriftSpec.Rotate(-15, Range.from(0)), DriftSpec.parse(" ROTATE:-15 "));
  }

  @Test
  void canonicalTextRoundTrips() {
    for (String s : List.of("rotate:30@5000", "noise:0.3@2000", "invert@8000", "blur:1@0", "gblur:1.5@10-20",
        "skew:3=0.5@0", "withhold:7@0-5000")) {
      DriftSpec d = DriftSpec.parse(s);
      assertEquals(s, d.spec());
      assertEquals(d, DriftSpec.parse(d.spec()));
    }
    assertEquals(List.of(DriftSpec.parse("invert@1"), DriftSpec.parse("blur:2@3")),
        DriftSpec.parseAll(List.of("invert@1,blur:2@3")));
  }

  @Test
  void rangeIsHalfOpen() {
    Range r = DriftSpec.parse("withhold:7@10-20").range();
    assertFalse(r.contains(9));
    assertTrue(r.contains(10));
    assertTrue(r.contains(19));
    assertFalse(r.contains(20));
    assertTrue(DriftSpec.parse("invert").range().contains(0));
  }

  @Test
  void errorsSayWhatIsWrongAndWhatIsExpected() {
    assertMessage("drift 'spin:3@1': unknown drift 'spin' (known: rotate, noise, invert, blur, gblur, skew, withhold)", "spin:3@1");
    assertMessage("drift 'rotate:abc@1': degrees 'abc' is not a number", "rotate:abc@1");
    assertMessage("drift 'rotate@1': missing argument DEGREES", "rotate@1");
    assertMessage("drift 'noise:-1': noise sigma must be finite and >= 0, got -1.0", "noise:-1");
    assertMessage("drift 'blur:1.5': radius '1.5' is not a whole number", "blur:1.5");
    assertMessage("drift 'skew:3': skew needs CLASS=FRACTION, got '3'", "skew:3");
    assertMessage("drift 'skew:3=1.5': skew fraction must be in (0, 1], got 1.5", "skew:3=1.5");
    assertMessage("drift 'withhold:7@50-10': range [50, 10) must have 0 <= from < to", "withhold:7@50-10");
    assertMessage("drift 'invert:2': invert takes no argument, got '2'", "invert:2");
    assertMessage("drift 'invert@x': FROM index 'x' is not a whole number", "invert@x");
  }

  private static void assertMessage(String prefix, String spec) {
    var e = assertThrows(IllegalArgumentException.class, () -> DriftSpec.parse(spec));
    assertTrue(e.getMessage().startsWith(prefix + "; expected NAME[:ARG][@FROM[-TO]]"), e.getMessage());
  }
}
