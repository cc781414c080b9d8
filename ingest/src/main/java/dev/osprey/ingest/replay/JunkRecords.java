package dev.osprey.ingest.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Malformed records, one per reject reason ingest knows for samples, each derived from a valid
 * sample so that it is wrong in exactly one way.
 */
public final class JunkRecords {
  /** The kinds in the order junk record {@code k} cycles through ({@code KINDS.get(k % size)}). */
  public static final List<RejectReason> KINDS = List.of(
      RejectReason.NOT_JSON,
      RejectReason.MISSING_FIELD,
      RejectReason.UNKNOWN_DTYPE,
      RejectReason.SHAPE_MISMATCH,
      RejectReason.NON_FINITE,
      RejectReason.TOO_LARGE,
      RejectReason.DUPLICATE_ID,
      RejectReason.UNSUPPORTED_SCHEMA,
      RejectReason.INVALID_FIELD);

  private final ObjectMapper mapper;
  private final int tooLargeBytes;

  JunkRecords(ObjectMapper mapper, int tooLargeBytes) {
    this.mapper = mapper;
    this.tooLargeBytes = tooLargeBytes;
  }

  /** How many of {@code total} junk records are of {@code reason}. */
  public static int count(int total, RejectReason reason) {
    int i = KINDS.indexOf(reason);
    if (i < 0) {
      return 0;
    }
    return total / KINDS.size() + (i < total % KINDS.size() ? 1 : 0);
  }

  /**
   * Junk record {@code k}: a (key, value) pair. {@code last} is the sample sent just before (its
   * exact bytes are {@code lastBytes}); the duplicate kind repeats it.
   */
  ReplayRecord make(int k, String topic, String runId, Sample last, byte[] lastBytes, long timestamp) {
    RejectReason reason = KINDS.get(k % KINDS.size());
    String id = runId + "-junk-" + k;
    Sample base = new Sample(last.schemaVersion(), id, last.timestamp(), last.tensor(), null, last.attributes());
    byte[] value = switch (reason) {
      case NOT_JSON -> ("not json: " + id + " {").getBytes(StandardCharsets.UTF_8);
      case MISSING_FIELD -> edit(base, n -> n.remove("timestamp"));
      case UNKNOWN_DTYPE -> edit(base, n -> ((ObjectNode) n.get("tensor")).put("dtype", "int4"));
      case SHAPE_MISMATCH -> edit(base, n -> ((ObjectNode) n.get("tensor"))
          .put("data", Base64.getEncoder().encodeToString(Arrays.copyOf(last.tensor().data(), 700))));
      case NON_FINITE -> {
        float[] f = last.tensor().toFloats();
        f[k % f.length] = (k / KINDS.size()) % 2 == 0 ? Float.NaN : Float.POSITIVE_INFINITY;
        int[] shape = last.tensor().shape().stream().mapToInt(Integer::intValue).toArray();
        yield write(new Sample(base.schemaVersion(), id, base.timestamp(), Tensor.ofFloat32(f, shape), null, base.attributes()));
      }
      case TOO_LARGE -> edit(base, n -> ((ObjectNode) n.get("attributes")).put("padding", "x".repeat(tooLargeBytes)));
      case DUPLICATE_ID -> lastBytes.clone();
      case UNSUPPORTED_SCHEMA -> edit(base, n -> n.put("schemaVersion", Sample.SCHEMA_VERSION + 1));
      case INVALID_FIELD -> edit(base, n -> n.put("timestamp", "not-a-time"));
      default -> throw new IllegalStateException("no junk recipe for " + reason);
    };
    String key = reason == RejectReason.DUPLICATE_ID ? last.id() : id;
    return new ReplayRecord(ReplayRecord.Kind.JUNK, topic, key, value, timestamp, reason);
  }

  private byte[] edit(Sample s, java.util.function.Consumer<ObjectNode> change) {
    ObjectNode node = mapper.valueToTree(s);
    change.accept(node);
    try {
      return mapper.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode junk", e);
    }
  }

  private byte[] write(Sample s) {
    try {
      return mapper.writeValueAsBytes(s);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode junk", e);
    }
  }
}
