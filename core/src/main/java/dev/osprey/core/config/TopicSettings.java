package dev.osprey.core.config;

/**
 * Topic naming and layout.
 *
 * @param prefix prepended to every topic name (default empty)
 * @param partitions partitions per topic (default 3)
 * @param replicationFactor replicas per partition (default 1, the embedded broker has one node)
 */
public record TopicSettings(String prefix, int partitions, short replicationFactor) {
  public TopicSettings {
    if (partitions < 1) {
      throw new IllegalArgumentException("topics.partitions must be >= 1, got " + partitions);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("topics.replication.factor must be >= 1, got " + replicationFactor);
    }
    if (prefix == null || !prefix.matches("[A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException("topics.prefix '" + prefix + "' may contain only [A-Za-z0-9._-]");
    }
  }

  public static TopicSettings from(ConfigSource config) {
    return new TopicSettings(
        config.get("topics.prefix", ""),
        config.getInt("topics.partitions", 3),
        (short) config.getInt("topics.replication.factor", 1));
  }
}
