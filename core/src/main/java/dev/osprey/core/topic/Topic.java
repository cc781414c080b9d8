package dev.osprey.core.topic;

import org.apache.kafka.common.serialization.Serde;

/**
 * One Kafka topic: its full name (prefix applied), whether it is compacted, and its serdes.
 * Topology and service code take topics from {@link Topics}; they never spell a name or build a
 * serde inline.
 */
public record Topic<K, V>(String name, boolean compacted, Serde<K> keySerde, Serde<V> valueSerde) {}
