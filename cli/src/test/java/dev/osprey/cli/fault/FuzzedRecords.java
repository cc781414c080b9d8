package dev.osprey.cli.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SampleIds;
import dev.osprey.core.event.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Structure-aware generators of hostile raw records for {@code osprey.samples.raw} and
 * {@code osprey.feedback.raw}: valid samples with fuzzed ids (any UTF-16, lone surrogates and
 * control characters included, written as JSON escapes), attributes, keys, headers (a few bytes to
 * 3 MB, compressible so gzip lets them past the broker) and compression; float tensors with
 * non-finite values; absurd shapes; JSON mutated in its structure (fields dropped, retyped, added,
 * nested thousands deep) and then in its bytes (cut, flipped, prefixed, replaced); oversize
 * values; feedback with fuzzed labels. Each record says what must become of it where that is
 * certain ({@link Fate}), and carries {@link #SEQ} where its sequence number goes.
 */
final class FuzzedRecords {
  /** Replaced by the record's sequence number when it is sent. */
  static final String SEQ = "~SEQ~";
  /** Every sample id starts so; the number is the record's sequence number. */
  static final String ID_PREFIX = "fz-" + SEQ + "-";
  private static final String ID_SLOT = "~ID~";
  private static final EventCodec CODEC = new EventCodec();
  private static final ObjectMapper JSON = CODEC.mapper();
  private static final long T0 = 1_732_350_000_000L;
  private static final java.util.regex.Pattern DEEP = java.util.regex.Pattern.compile("\"~DEEP~(\\d+)~\"");

  /** Where a record must end up; EITHER where the generator cannot be sure (ingest or inference decides). */
  enum Fate { PREDICTED, FEEDBACK, DEAD_LETTERED, EITHER }

  /** Which raw topic a record goes to. */
  enum Target { SAMPLES, FEEDBACK }

  /**
   * One record to send, with {@link #SEQ} placeholders in its key, value and id.
   *
   * @param id the sample id as the event carries it (null when the record has none a prediction could name)
   * @param reason the DLQ reason code expected when {@code fate} is DEAD_LETTERED, or null for any
   * @param kind what the generator made, for the figures
   */
  record FuzzRecord(String kind, Target target, String key, byte[] value, List<RecordHeader> headers,
      String compression, Fate fate, String reason, String id) {

    /** This record as sequence number {@code seq}. */
    FuzzRecord at(int seq) {
      String n = Integer.toString(seq);
      byte[] v = value == null ? null
          : new String(value, StandardCharsets.ISO_8859_1).replace(SEQ, n).getBytes(StandardCharsets.ISO_8859_1);
      return new FuzzRecord(kind, target, key == null ? null : key.replace(SEQ, n), v, headers, compression, fate, reason,
          id == null ? null : id.replace(SEQ, n));
    }
  }

  private FuzzedRecords() {}

  /** Every kind, weighted: mostly valid samples, so the model path is exercised as much as the DLQ. */
  static Arbitrary<FuzzRecord> any() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(40, validSamples()),
        net.jqwik.api.Tuple.of(8, floatSamples()),
        net.jqwik.api.Tuple.of(8, shapedSamples()),
        net.jqwik.api.Tuple.of(20, mutatedSamples()),
        net.jqwik.api.Tuple.of(2, oversizeSamples()),
        net.jqwik.api.Tuple.of(12, feedback()),
        net.jqwik.api.Tuple.of(10, junk()));
  }

  static Arbitrary<String> idSuffixes() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.strings().alpha().numeric().withChars("._-").ofMaxLength(12)),
        net.jqwik.api.Tuple.of(3, Arbitraries.strings().all().ofMaxLength(8)),
        net.jqwik.api.Tuple.of(1, Arbitraries.strings().withCharRange('a', 'z').ofLength(300)));
  }

  static Arbitrary<Map<String, String>> attributes() {
    return Arbitraries.maps(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8),
        Arbitraries.strings().withCharRange(' ', '\uD7FF').withChars("\uD83D\uDE00").ofMaxLength(16)).ofMaxSize(3);
  }

  static Arbitrary<List<RecordHeader>> headers() {
    Arbitrary<RecordHeader> small = Combinators.combine(
        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(64)).as(RecordHeader::new);
    Arbitrary<Integer> bulk = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(16, Arbitraries.just(0)),
        net.jqwik.api.Tuple.of(1, Arbitraries.of(20_000, 300_000, 1_200_000, 3_000_000)));
    return Combinators.combine(small.list().ofMaxSize(4), bulk).as((list, bytes) -> {
      List<RecordHeader> out = new ArrayList<>(list);
      byte[] chunk = new byte[100_000];
      Arrays.fill(chunk, (byte) 'x');
      for (int left = bytes, i = 0; left > 0; left -= chunk.length, i++) {
        out.add(new RecordHeader("bulk-" + i, left >= chunk.length ? chunk : Arrays.copyOf(chunk, left)));
      }
      return out;
    });
  }

  static Arbitrary<String> compressions() {
    return Arbitraries.of("none", "gzip", "lz4", "zstd", "snappy");
  }

  /** A raw key: the id, none, empty, any UTF-16, or 10 KB. */
  static Arbitrary<UnaryOperator<String>> keys() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.<UnaryOperator<String>>just(id -> id)),
        net.jqwik.api.Tuple.of(1, Arbitraries.<UnaryOperator<String>>just(id -> null)),
        net.jqwik.api.Tuple.of(1, Arbitraries.<UnaryOperator<String>>just(id -> "")),
        net.jqwik.api.Tuple.of(1, Arbitraries.strings().all().ofMaxLength(10).<UnaryOperator<String>>map(s -> id -> s)),
        net.jqwik.api.Tuple.of(1, Arbitraries.<UnaryOperator<String>>just(id -> "k".repeat(10_000))));
  }

  private static boolean validId(String id) {
    try {
      SampleIds.check("id", id.replace(SEQ, "0"));
      return true;
    } catch (InvalidEventException e) {
      return false;
    }
  }

  /** The sample's JSON with its id written as JSON escapes (so lone surrogates reach ingest as they are). */
  private static byte[] json(JsonNode node, String id) {
    String text = node.toString().replace("\"" + ID_SLOT + "\"", quote(id));
    java.util.regex.Matcher deep = DEEP.matcher(text);
    if (deep.find()) {
      int depth = Integer.parseInt(deep.group(1));
      text = deep.replaceFirst("[".repeat(depth) + "]".repeat(depth));
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  private static ObjectNode sampleNode(Sample s) {
    ObjectNode node = JSON.valueToTree(s);
    node.put("id", ID_SLOT);
    return node;
  }

  static Arbitrary<FuzzRecord> validSamples() {
    return Combinators.combine(idSuffixes(), Arbitraries.bytes().array(byte[].class).ofSize(784), attributes(),
        headers(), keys(), compressions()).as((suffix, pixels, attrs, headers, key, compression) -> {
          String id = ID_PREFIX + suffix;
          Sample s = Sample.ofTensor("x", T0, Tensor.ofUint8(pixels, 1, 28, 28), attrs);
          long bulk = headers.stream().filter(h -> h.key().startsWith("bulk-")).mapToLong(h -> h.value().length).sum();
          Fate fate = !validId(id) || bulk >= 1_200_000 ? Fate.DEAD_LETTERED : Fate.PREDICTED;
          String reason = !validId(id) ? "invalid-field" : bulk >= 1_200_000 ? "too-large" : null;
          // uncompressed, a megabyte of headers is refused by the broker before ingest sees it
          String codec = bulk > 500_000 && (compression.equals("none") || compression.equals("snappy")) ? "gzip" : compression;
          return new FuzzRecord("valid", Target.SAMPLES, key.apply(id), json(sampleNode(s), id), headers, codec, fate,
              reason, id);
        });
  }

  static Arbitrary<FuzzRecord> floatSamples() {
    Arbitrary<Float> values = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(2000, Arbitraries.floats().between(0f, 1f)),
        net.jqwik.api.Tuple.of(1, Arbitraries.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f,
            Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE)));
    return Combinators.combine(values.list().ofSize(784), compressions()).as((list, compression) -> {
      float[] v = new float[784];
      boolean finite = true;
      for (int i = 0; i < v.length; i++) {
        v[i] = list.get(i);
        finite &= Float.isFinite(v[i]);
      }
      String id = ID_PREFIX + "f";
      Sample s = Sample.ofTensor("x", T0, Tensor.ofFloat32(v, 1, 28, 28), Map.of());
      return new FuzzRecord("float32", Target.SAMPLES, id, json(sampleNode(s), id), List.of(), compression,
          finite ? Fate.EITHER : Fate.DEAD_LETTERED, finite ? null : "non-finite", id);
    });
  }

  static Arbitrary<FuzzRecord> shapedSamples() {
    Arbitrary<Integer> dims = Arbitraries.of(1, 28, 27, 784, 0, -1, 2, 26_983_373, 218_641, 31_267_408, Integer.MAX_VALUE);
    return Combinators.combine(dims.list().ofMaxSize(4), Arbitraries.of(784, 756, 0, 10, 1568), compressions())
        .as((shape, length, compression) -> {
          String id = ID_PREFIX + "s";
          ObjectNode node = sampleNode(Sample.ofTensor("x", T0, Tensor.ofUint8(new byte[784], 1, 28, 28), Map.of()));
          ObjectNode tensor = (ObjectNode) node.get("tensor");
          tensor.set("shape", JSON.valueToTree(shape));
          tensor.put("data", java.util.Base64.getEncoder().encodeToString(new byte[length]));
          return new FuzzRecord("shape", Target.SAMPLES, id, json(node, id), List.of(), compression, Fate.EITHER, null, id);
        });
  }

  /** One structural edit of a sample's JSON tree. */
  private static Arbitrary<UnaryOperator<ObjectNode>> edits() {
    Arbitrary<String> fields = Arbitraries.of("schemaVersion", "id", "timestamp", "tensor", "features", "attributes");
    // the id is never retyped: a still-valid sample would carry an id no prediction could be traced by
    Arbitrary<String> retyped = Arbitraries.of("schemaVersion", "timestamp", "tensor", "features", "attributes");
    Arbitrary<JsonNode> values = Arbitraries.of("null", "true", "-1", "0", "1e400", "9223372036854775808", "1.5",
        "\"1\"", "\"\"", "[]", "{}", "[1,2]", "{\"dtype\":\"uint8\"}", "\"\\u0000\"")
        .map(text -> {
          try {
            return JSON.readTree(text);
          } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
          }
        });
    Arbitrary<UnaryOperator<ObjectNode>> remove = fields.<UnaryOperator<ObjectNode>>map(f -> n -> {
      n.remove(f);
      return n;
    });
    Arbitrary<UnaryOperator<ObjectNode>> retype = Combinators.combine(retyped, values).as((f, v) -> n -> {
      n.set(f, v);
      return n;
    });
    Arbitrary<UnaryOperator<ObjectNode>> unknown = Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(6)
        .<UnaryOperator<ObjectNode>>map(f -> n -> n.put("x-" + f, 1));
    // nesting is written as text by json(): Jackson's own writer refuses more than 1000 levels
    Arbitrary<UnaryOperator<ObjectNode>> deep = Arbitraries.of(10, 1000, 5000).<UnaryOperator<ObjectNode>>map(depth -> n -> {
      if (!(n.get("attributes") instanceof ObjectNode)) {
        n.putObject("attributes");
      }
      ((ObjectNode) n.get("attributes")).put("deep", "~DEEP~" + depth + "~");
      return n;
    });
    return Arbitraries.oneOf(remove, retype, unknown, deep);
  }

  /** One byte-level edit of the encoded JSON (identity most often). */
  private static Arbitrary<UnaryOperator<byte[]>> byteEdits() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.<UnaryOperator<byte[]>>just(b -> b)),
        net.jqwik.api.Tuple.of(1, Arbitraries.doubles().between(0, 1)
            .<UnaryOperator<byte[]>>map(f -> b -> Arrays.copyOf(b, (int) (b.length * f)))),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 10_000).<UnaryOperator<byte[]>>map(i -> b -> {
          byte[] c = b.clone();
          c[i % c.length] ^= (byte) 0xA5;
          return c;
        })),
        net.jqwik.api.Tuple.of(1, Arbitraries.<UnaryOperator<byte[]>>just(
            b -> concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, b))),
        net.jqwik.api.Tuple.of(1, Arbitraries.<UnaryOperator<byte[]>>just(
            b -> concat(b, "}{\"x\":1}".getBytes(StandardCharsets.UTF_8)))),
        net.jqwik.api.Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(200).<UnaryOperator<byte[]>>map(r -> b -> r)),
        net.jqwik.api.Tuple.of(1, Arbitraries.<UnaryOperator<byte[]>>just(b -> null)));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  static Arbitrary<FuzzRecord> mutatedSamples() {
    return Combinators.combine(edits().list().ofMinSize(1).ofMaxSize(3), byteEdits(), keys(), compressions())
        .as((edits, bytes, key, compression) -> {
          String id = ID_PREFIX + "m";
          ObjectNode node = sampleNode(Sample.ofTensor("x", T0, Tensor.ofUint8(new byte[784], 1, 28, 28), Map.of()));
          for (UnaryOperator<ObjectNode> e : edits) {
            node = e.apply(node);
          }
          return new FuzzRecord("mutated", Target.SAMPLES, key.apply(id), bytes.apply(json(node, id)), List.of(),
              compression, Fate.EITHER, null, id);
        });
  }

  /** Over ingest's 512 KiB limit of one event, compressible so the broker takes it. */
  static Arbitrary<FuzzRecord> oversizeSamples() {
    return Arbitraries.of(600_000, 2_000_000).map(size -> {
      String id = ID_PREFIX + "o";
      Sample s = Sample.ofTensor("x", T0, Tensor.ofUint8(new byte[784], 1, 28, 28), Map.of("pad", "p".repeat(size)));
      return new FuzzRecord("oversize", Target.SAMPLES, id, json(sampleNode(s), id), List.of(), "gzip",
          Fate.DEAD_LETTERED, "too-large", id);
    });
  }

  static Arbitrary<FuzzRecord> feedback() {
    Arbitrary<Integer> labels = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, Arbitraries.integers().between(0, 9)),
        net.jqwik.api.Tuple.of(1, Arbitraries.of(-1, 10, Integer.MAX_VALUE, Integer.MIN_VALUE)));
    return Combinators.combine(labels, Arbitraries.strings().withCharRange(' ', '\uD7FF').ofMaxLength(20), idSuffixes(),
        byteEdits(), compressions()).as((label, source, suffix, bytes, compression) -> {
          String id = ID_PREFIX + "fb" + suffix;
          ObjectNode node = JSON.valueToTree(Feedback.of("x", label, source.isBlank() ? "s" : source, T0));
          node.put("sampleId", ID_SLOT);
          byte[] raw = json(node, id);
          byte[] value = bytes.apply(raw);
          boolean certain = value == raw && label >= 0 && label <= 9 && validId(id);
          return new FuzzRecord("feedback", Target.FEEDBACK, id, value, List.of(), compression,
              certain ? Fate.FEEDBACK : Fate.EITHER, null, null);
        });
  }

  /** Not an event at all: random bytes, empty, a bare JSON scalar, or nothing. */
  static Arbitrary<FuzzRecord> junk() {
    Arbitrary<byte[]> values = Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMaxSize(300),
        Arbitraries.of("", "null", "0", "[]", "\"x\"", "{", "{}").map(s -> s.getBytes(StandardCharsets.UTF_8)),
        Arbitraries.just((byte[]) null));
    return Combinators.combine(values, Arbitraries.of(Target.SAMPLES, Target.FEEDBACK), compressions())
        .as((v, target, compression) -> new FuzzRecord("junk", target, "junk-" + SEQ, v, List.of(), compression,
            Fate.DEAD_LETTERED, null, null));
  }
}
