package dev.osprey.explain.service;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How far the explain loop's group <em>decided</em> each predictions partition (sampled or not),
 * kept apart from how far it may commit. Commits stop at the oldest prediction whose sample position
 * the join still holds, so after a restart those predictions are read again; the commit's metadata
 * ({@value #DECIDED}{@code <offset>}) says how far the sampling policy had already gone, and the
 * predictions read again below it only give back their positions instead of being sampled twice.
 * Used by the loop's thread only.
 */
final class DecidedOffsets {
  /** Commit metadata prefix: {@code decided=<offset>}, the first prediction not yet decided. */
  static final String DECIDED = "decided=";

  private final String predictionsTopic;
  // per predictions partition: records below this offset were decided before (a restart reads them for positions)
  private final Map<TopicPartition, Long> before = new HashMap<>();
  private final Set<TopicPartition> known = new HashSet<>();

  DecidedOffsets(String predictionsTopic) {
    this.predictionsTopic = predictionsTopic;
  }

  /**
   * Reads, from the group's last commit, how far the predictions partitions among {@code read} were
   * decided: once per partition after it was assigned (its first records).
   */
  void learn(Set<TopicPartition> read, Consumer<?, ?> consumer) {
    Set<TopicPartition> unknown = new HashSet<>();
    for (TopicPartition tp : read) {
      if (tp.topic().equals(predictionsTopic) && known.add(tp)) {
        unknown.add(tp);
      }
    }
    if (!unknown.isEmpty()) {
      consumer.committed(unknown).forEach((tp, committed) -> {
        long decided = position(committed);
        if (committed != null && decided > committed.offset()) {
          before.put(tp, decided);
        }
      });
    }
  }

  /** Whether the prediction at {@code offset} of {@code partition} was decided before a restart. */
  boolean decidedBefore(int partition, long offset) {
    if (before.isEmpty()) {
      return false; // the usual case: nothing read again
    }
    Long decided = before.get(new TopicPartition(predictionsTopic, partition));
    return decided != null && offset < decided;
  }

  /** Partitions revoked or newly assigned: learned again from the group's commit. */
  void forget(Collection<TopicPartition> partitions) {
    partitions.forEach(before::remove);
    known.removeAll(partitions);
  }

  /**
   * The commit of {@code tp}: {@code commitAt} (held back to what the join still needs) with the
   * metadata saying it was decided up to {@code position} (or further, if it was before a restart).
   */
  OffsetAndMetadata commit(TopicPartition tp, long commitAt, long position) {
    return new OffsetAndMetadata(commitAt, DECIDED + Math.max(position, before.getOrDefault(tp, 0L)));
  }

  /**
   * How far a partition was decided, from what the loop committed: the offset in its metadata
   * ({@value #DECIDED}), else the committed offset; -1 for none.
   */
  static long position(OffsetAndMetadata committed) {
    if (committed == null) {
      return -1;
    }
    String m = committed.metadata();
    if (m != null && m.startsWith(DECIDED)) {
      try {
        return Math.max(committed.offset(), Long.parseLong(m.substring(DECIDED.length())));
      } catch (NumberFormatException e) {
        // not ours: the offset alone
      }
    }
    return committed.offset();
  }
}
