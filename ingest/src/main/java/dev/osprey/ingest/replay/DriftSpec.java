package dev.osprey.ingest.replay;

import dev.osprey.core.data.ImageShifts;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A named distribution shift applied by the replay producer over a range of sample indices.
 *
 * <p>Syntax: {@code NAME[:ARG][@FROM[-TO]]}. The shift is active for sample indices {@code FROM <= i < TO}
 * ({@code @FROM} alone: from FROM on; no {@code @}: from 0 on).
 *
 * <ul>
 *   <li>{@code rotate:DEGREES} — rotate counter-clockwise, e.g. {@code rotate:30@5000}
 *   <li>{@code noise:SIGMA} — gaussian pixel noise, sigma in full-scale units, e.g. {@code noise:0.3@2000}
 *   <li>{@code invert} — {@code 255 - v}, e.g. {@code invert@8000}
 *   <li>{@code blur:RADIUS} — box blur of integer radius, e.g. {@code blur:1@0}
 *   <li>{@code gblur:SIGMA} — gaussian blur, sigma in pixels, e.g. {@code gblur:1.5@100}
 *   <li>{@code skew:CLASS=FRACTION} — CLASS makes up FRACTION of the samples, e.g. {@code skew:3=0.5@0}
 *   <li>{@code withhold:CLASS} — CLASS is not replayed, e.g. {@code withhold:7@0-5000}
 * </ul>
 */
public sealed interface DriftSpec {

  /** Sample indices {@code [from, to)} where the shift is active. */
  Range range();

  /** The canonical spec text; {@link #parse} of it gives an equal spec. */
  String spec();

  /** Index range {@code [from, to)}; {@code to == Long.MAX_VALUE} means open-ended. */
  record Range(long from, long to) {
    public Range {
      if (from < 0 || to <= from) {
        throw new IllegalArgumentException("range [" + from + ", " + to + ") must have 0 <= from < to");
      }
    }

    public static Range from(long from) {
      return new Range(from, Long.MAX_VALUE);
    }

    public boolean contains(long i) {
      return i >= from && i < to;
    }

    String text() {
      return "@" + from + (to == Long.MAX_VALUE ? "" : "-" + to);
    }
  }

  /** A shift of the image itself. */
  sealed interface ImageShift extends DriftSpec {
    byte[] apply(byte[] img, int rows, int cols, Random rng);
  }

  record Rotate(double degrees, Range range) implements ImageShift {
    public byte[] apply(byte[] img, int rows, int cols, Random rng) {
      return ImageShifts.rotate(img, rows, cols, degrees);
    }

    public String spec() {
      return "rotate:" + num(degrees) + range.text();
    }
  }

  record Noise(double sigma, Range range) implements ImageShift {
    public Noise {
      if (!(sigma >= 0) || Double.isInfinite(sigma)) {
        throw new IllegalArgumentException("noise sigma must be finite and >= 0, got " + sigma);
      }
    }

    public byte[] apply(byte[] img, int rows, int cols, Random rng) {
      return ImageShifts.noise(img, sigma, rng);
    }

    public String spec() {
      return "noise:" + num(sigma) + range.text();
    }
  }

  record Invert(Range range) implements ImageShift {
    public byte[] apply(byte[] img, int rows, int cols, Random rng) {
      return ImageShifts.invert(img);
    }

    public String spec() {
      return "invert" + range.text();
    }
  }

  record BoxBlur(int radius, Range range) implements ImageShift {
    public BoxBlur {
      if (radius < 0) {
        throw new IllegalArgumentException("blur radius must be >= 0, got " + radius);
      }
    }

    public byte[] apply(byte[] img, int rows, int cols, Random rng) {
      return ImageShifts.boxBlur(img, rows, cols, radius);
    }

    public String spec() {
      return "blur:" + radius + range.text();
    }
  }

  record GaussianBlur(double sigma, Range range) implements ImageShift {
    public GaussianBlur {
      if (!(sigma > 0) || Double.isInfinite(sigma)) {
        throw new IllegalArgumentException("gblur sigma must be finite and > 0, got " + sigma);
      }
    }

    public byte[] apply(byte[] img, int rows, int cols, Random rng) {
      return ImageShifts.gaussianBlur(img, rows, cols, sigma);
    }

    public String spec() {
      return "gblur:" + num(sigma) + range.text();
    }
  }

  /** Class {@code label} makes up {@code fraction} of the samples while active. */
  record Skew(int label, double fraction, Range range) implements DriftSpec {
    public Skew {
      if (label < 0) {
        throw new IllegalArgumentException("skew class must be >= 0, got " + label);
      }
      if (!(fraction > 0 && fraction <= 1)) {
        throw new IllegalArgumentException("skew fraction must be in (0, 1], got " + fraction);
      }
    }

    public String spec() {
      return "skew:" + label + "=" + num(fraction) + range.text();
    }
  }

  /** Class {@code label} is not replayed while active. */
  record Withhold(int label, Range range) implements DriftSpec {
    public Withhold {
      if (label < 0) {
        throw new IllegalArgumentException("withhold class must be >= 0, got " + label);
      }
    }

    public String spec() {
      return "withhold:" + label + range.text();
    }
  }

  /**
   * Parses one spec.
   *
   * @throws IllegalArgumentException naming the spec, what is wrong and the expected form
   */
  static DriftSpec parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("drift spec must not be empty; expected NAME[:ARG][@FROM[-TO]], e.g. rotate:30@5000");
    }
    String s = text.strip();
    try {
      int at = s.indexOf('@');
      String head = at < 0 ? s : s.substring(0, at);
      Range range = at < 0 ? Range.from(0) : parseRange(s.substring(at + 1));
      int colon = head.indexOf(':');
      String name = (colon < 0 ? head : head.substring(0, colon)).toLowerCase(Locale.ROOT);
      String arg = colon < 0 ? null : head.substring(colon + 1);
      return switch (name) {
        case "rotate" -> new Rotate(number(need(arg, "DEGREES"), "degrees"), range);
        case "noise" -> new Noise(number(need(arg, "SIGMA"), "sigma"), range);
        case "invert" -> {
          if (arg != null) {
            throw new IllegalArgumentException("invert takes no argument, got '" + arg + "'");
          }
          yield new Invert(range);
        }
        case "blur" -> new BoxBlur(integer(need(arg, "RADIUS"), "radius"), range);
        case "gblur" -> new GaussianBlur(number(need(arg, "SIGMA"), "sigma"), range);
        case "skew" -> {
          String a = need(arg, "CLASS=FRACTION");
          int eq = a.indexOf('=');
          if (eq < 0) {
            throw new IllegalArgumentException("skew needs CLASS=FRACTION, got '" + a + "'");
          }
          yield new Skew(integer(a.substring(0, eq), "class"), number(a.substring(eq + 1), "fraction"), range);
        }
        case "withhold" -> new Withhold(integer(need(arg, "CLASS"), "class"), range);
        default -> throw new IllegalArgumentException(
            "unknown drift '" + name + "' (known: rotate, noise, invert, blur, gblur, skew, withhold)");
      };
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "drift '" + text + "': " + e.getMessage() + "; expected NAME[:ARG][@FROM[-TO]], e.g. rotate:30@5000, "
              + "noise:0.3@2000, invert@8000, blur:1@0, gblur:1.5@0, skew:3=0.5@0, withhold:7@0-5000",
          e);
    }
  }

  /** Parses several specs, each of which may itself be a comma-separated list. */
  static List<DriftSpec> parseAll(List<String> texts) {
    List<DriftSpec> out = new ArrayList<>();
    for (String t : texts) {
      for (String part : t.split(",")) {
        out.add(parse(part));
      }
    }
    return List.copyOf(out);
  }

  private static Range parseRange(String r) {
    int dash = r.indexOf('-');
    if (dash < 0) {
      return Range.from(index(r, "FROM"));
    }
    return new Range(index(r.substring(0, dash), "FROM"), index(r.substring(dash + 1), "TO"));
  }

  private static long index(String v, String what) {
    try {
      long i = Long.parseLong(v.strip());
      if (i < 0) {
        throw new IllegalArgumentException(what + " index must be >= 0, got " + i);
      }
      return i;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " index '" + v + "' is not a whole number");
    }
  }

  private static String need(String arg, String what) {
    if (arg == null || arg.isBlank()) {
      throw new IllegalArgumentException("missing argument " + what);
    }
    return arg.strip();
  }

  private static double number(String v, String what) {
    try {
      double d = Double.parseDouble(v.strip());
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException(what + " must be finite, got " + v);
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " '" + v + "' is not a number");
    }
  }

  private static int integer(String v, String what) {
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " '" + v + "' is not a whole number");
    }
  }

  private static String num(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
