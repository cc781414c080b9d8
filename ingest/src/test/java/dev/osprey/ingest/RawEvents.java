package dev.osprey.ingest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.function.Consumer;

/** Raw event bytes for tests: valid samples and ones broken in one precise way. */
final class RawEvents {
  private final EventCodec codec = new EventCodec();

  /** A valid 28x28 uint8 sample whose pixels depend on {@code seed}. */
  Sample sample(String id, int seed) {
    byte[] px = new byte[784];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) ((i * 31 + seed * 7) & 0xFF);
    }
    return Sample.ofTensor(id, 1_732_350_000_000L + seed, Tensor.ofUint8(px, 1, 28, 28), Map.of("source", "test"));
  }

  byte[] encode(Sample s) {
    return codec.encode(s);
  }

  /** The sample's JSON with {@code edit} applied to the tree. */
  byte[] edited(Sample s, Consumer<ObjectNode> edit) {
    ObjectNode node = codec.mapper().valueToTree(s);
    edit.accept(node);
    return node.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The documented example, written by hand as text (docs/events.md). */
  static String handWritten(byte[] pixels) {
    return "{\"schemaVersion\":1,\"id\":\"sample-000001\",\"timestamp\":1732350000000,"
        + "\"tensor\":{\"dtype\":\"uint8\",\"shape\":[1,28,28],\"data\":\""
        + Base64.getEncoder().encodeToString(pixels)
        + "\"},\"attributes\":{\"source\":\"camera-7\"}}";
  }

  static final String HAND_WRITTEN_FEEDBACK =
      "{\"schemaVersion\":1,\"sampleId\":\"sample-000001\",\"label\":7,\"source\":\"annotator-3\",\"timestamp\":1732350060000}";

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
