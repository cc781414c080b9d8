package dev.osprey.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Response;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

/**
 * The broker's refusal reaches the handler on the producer's thread, when the stream thread is
 * already at a later record, and Kafka Streams fills the handler's context at that moment: the
 * record that is marked must be the refused record's source, not the context's.
 */
class UnwritableRecordHandlerTest {
  private static final String RAW = "t.osprey.samples.raw";

  /** The context as Kafka Streams builds it when the callback runs: the stream thread's current record. */
  private record CurrentRecord(String topic, int partition, long offset) implements ErrorHandlerContext {
    @Override
    public Headers headers() {
      return new RecordHeaders();
    }

    @Override
    public String processorNodeId() {
      return "samples-out";
    }

    @Override
    public TaskId taskId() {
      return new TaskId(0, partition);
    }

    @Override
    public long timestamp() {
      return 0;
    }

    @Override
    public byte[] sourceRawKey() {
      return null;
    }

    @Override
    public byte[] sourceRawValue() {
      return null;
    }
  }

  private final UnwritableRecords registry = new UnwritableRecords();
  private final UnwritableRecordHandler handler = new UnwritableRecordHandler();

  UnwritableRecordHandlerTest() {
    handler.configure(Map.of(UnwritableRecordHandler.REGISTRY_CONFIG, registry));
  }

  @Test
  void theRefusedRecordsOwnSourceIsMarkedNotTheRecordTheStreamThreadIsAt() {
    byte[] big = new byte[40_000];
    byte[] next = new byte[100];
    registry.writing(big, RAW, 0, 5, false);
    registry.writing(next, RAW, 0, 6, false);

    Response r = handler.handleError(new CurrentRecord(RAW, 0, 6),
        new ProducerRecord<>("t.osprey.samples", "k5".getBytes(), big),
        new RecordTooLargeException("The request included a message larger than the max message size"));

    assertEquals(Response.fail().result(), r.result(), "the transaction is doomed; the task restarts");
    UnwritableRecords.Refusal refusal = registry.refusal(RAW, 0, 5);
    assertEquals("Kafka refused the output to t.osprey.samples: The request included a message larger than the "
        + "max message size", refusal.why());
    assertFalse(refusal.deadLetter());
    assertNull(registry.refusal(RAW, 0, 6), "the record the stream thread was at is not touched");
    assertEquals(1, registry.size());
  }

  @Test
  void aRefusedDeadLetterIsMarkedAsSuchAndAnUnknownOutputMarksNothing() {
    byte[] letter = new byte[20_000];
    registry.writing(letter, RAW, 1, 9, true);
    handler.handleError(new CurrentRecord(RAW, 1, 12), new ProducerRecord<>("t.osprey.dlq", null, letter),
        new RecordTooLargeException("too large"));
    assertEquals(true, registry.refusal(RAW, 1, 9).deadLetter());

    // An array the topology never registered (equal content, other identity): its source is unknown.
    Response r = handler.handleError(new CurrentRecord(RAW, 1, 13),
        new ProducerRecord<>("t.osprey.samples", null, new byte[20_000]), new RecordTooLargeException("too large"));
    assertEquals(Response.fail().result(), r.result());
    assertEquals(1, registry.size());
    assertNull(registry.refusal(RAW, 1, 13));
  }

  @Test
  void otherErrorsAreTheDefaultsBusiness() {
    byte[] v = new byte[10];
    registry.writing(v, RAW, 0, 1, false);
    Response r = handler.handleError(new CurrentRecord(RAW, 0, 1), new ProducerRecord<>("t.osprey.samples", null, v),
        new TimeoutException("expired"));
    assertEquals(Response.retry().result(), r.result());
    assertEquals(0, registry.size());
  }
}
