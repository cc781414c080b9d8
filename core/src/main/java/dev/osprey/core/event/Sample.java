package dev.osprey.core.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * One input to classify. Exactly one of {@code tensor} (images, signals) or {@code features}
 * (named tabular values) is set. See {@code docs/events.md} for the wire format.
 *
 * @param schemaVersion event schema version; {@link EventCodec} rejects versions it does not know
 * @param id unique sample id; also the Kafka key, so every topic co-partitions by it
 * @param timestamp creation time, epoch milliseconds
 * @param tensor dense input, or null for tabular samples
 * @param features named tabular features, or null for tensor samples
 * @param attributes free string attributes (source, device, ...), carried through unchanged
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Sample(
    int schemaVersion,
    String id,
    long timestamp,
    Tensor tensor,
    Map<String, Double> features,
    Map<String, String> attributes) {

  public static final int SCHEMA_VERSION = 1;

  public Sample {
    features = features == null ? null : Map.copyOf(features);
    attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
  }

  /** A tensor sample at the current schema version. */
  public static Sample ofTensor(String id, long timestamp, Tensor tensor, Map<String, String> attributes) {
    return new Sample(SCHEMA_VERSION, id, timestamp, tensor, null, attributes);
  }

  /** A tabular sample at the current schema version. */
  public static Sample ofFeatures(String id, long timestamp, Map<String, Double> features, Map<String, String> attributes) {
    return new Sample(SCHEMA_VERSION, id, timestamp, null, features, attributes);
  }
}
