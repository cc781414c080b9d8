package dev.osprey.core.topic;

/**
 * Header names of a record on {@code osprey.dlq}, shared by every service that dead-letters
 * (ingest, inference) so one consumer reads them all the same way. Values are UTF-8 strings; the
 * record keeps its original key and value bytes. See docs/ingest.md#dead-letter-queue.
 */
public final class DeadLetterHeaderNames {
  /** The {@link dev.osprey.core.event.RejectReason#code()}, e.g. {@code shape-mismatch}. */
  public static final String REASON = "osprey.dlq.reason";
  /** Human-readable detail, at most {@value #MAX_DETAIL_CHARS} characters. */
  public static final String DETAIL = "osprey.dlq.detail";
  public static final String SOURCE_TOPIC = "osprey.dlq.source.topic";
  /** Decimal partition number of the source record. */
  public static final String SOURCE_PARTITION = "osprey.dlq.source.partition";
  /** Decimal offset of the source record. */
  public static final String SOURCE_OFFSET = "osprey.dlq.source.offset";
  /** Every header above starts with this; stale ones are replaced when a record is dead-lettered again. */
  public static final String PREFIX = "osprey.dlq.";
  /** Longest detail written. */
  public static final int MAX_DETAIL_CHARS = 1000;

  private DeadLetterHeaderNames() {}
}
