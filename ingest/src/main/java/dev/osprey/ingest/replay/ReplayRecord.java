package dev.osprey.ingest.replay;

import dev.osprey.core.event.RejectReason;

/**
 * One record the replay sends.
 *
 * @param kind sample, feedback or junk
 * @param topic destination topic name
 * @param key record key (the sample id)
 * @param value serialized bytes
 * @param timestamp record timestamp, epoch ms
 * @param junkReason for junk, the reason ingest must reject it with; null otherwise
 */
public record ReplayRecord(Kind kind, String topic, String key, byte[] value, long timestamp, RejectReason junkReason) {
  public enum Kind {
    SAMPLE,
    FEEDBACK,
    JUNK
  }
}
