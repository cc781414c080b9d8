package dev.osprey.core.topic;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for one event record type, through the one {@link EventCodec}. With a strict
 * decoder (one of the codec's {@code decode*} methods) a record the codec rejects, an unknown
 * schema version included, fails deserialization with the codec's reason.
 */
public final class JsonSerde<T> implements Serde<T> {
  /** A strict decoder, e.g. {@code codec::decodeOutcome}. */
  @FunctionalInterface
  public interface Decoder<T> {
    T decode(byte[] json) throws InvalidEventException;
  }

  private final EventCodec codec;
  private final Class<T> type;
  private final Decoder<T> decoder;

  /** Decodes without the codec's checks: for topics only Osprey's own services write. */
  public JsonSerde(EventCodec codec, Class<T> type) {
    this(codec, type, json -> codec.decode(json, type));
  }

  /** Decodes with a strict decoder of the same codec. */
  public JsonSerde(EventCodec codec, Class<T> type, Decoder<T> decoder) {
    this.codec = codec;
    this.type = type;
    this.decoder = decoder;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, data) -> data == null ? null : codec.encode(data);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      try {
        return decoder.decode(data);
      } catch (InvalidEventException e) {
        throw new SerializationException(
            "cannot decode " + type.getSimpleName() + " from " + topic + ": " + e.reason().code() + ": " + e.detail(), e);
      } catch (RuntimeException e) {
        throw new SerializationException("cannot decode " + type.getSimpleName() + " from " + topic, e);
      }
    };
  }
}
