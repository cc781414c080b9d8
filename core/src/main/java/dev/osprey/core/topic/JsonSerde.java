package dev.osprey.core.topic;

import dev.osprey.core.event.EventCodec;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka serde for one event record type, through the one {@link EventCodec}. */
public final class JsonSerde<T> implements Serde<T> {
  private final EventCodec codec;
  private final Class<T> type;

  public JsonSerde(EventCodec codec, Class<T> type) {
    this.codec = codec;
    this.type = type;
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
        return codec.decode(data, type);
      } catch (RuntimeException e) {
        throw new SerializationException("cannot decode " + type.getSimpleName() + " from " + topic, e);
      }
    };
  }
}
