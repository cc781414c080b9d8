package dev.osprey.ingest;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last line behind {@link IngestTopology}'s own size check: when Kafka refuses an output record
 * for a reason of the record itself, the source record is marked {@link UnwritableRecords
 * unwritable} and the task fails. Under exactly-once the refused send has already doomed the
 * transaction (the producer is in an abortable state, so "continue" would not save it): the task
 * is restarted from its last commit, reads the record again and dead-letters it. Every other
 * error is the default's business: retry what is retriable, fail the rest.
 *
 * <p>Streams builds the handler from its class name; the instance's {@link UnwritableRecords}
 * arrives in the config under {@link #REGISTRY_CONFIG}.
 */
public final class UnwritableRecordHandler implements ProductionExceptionHandler {
  /** Config key under which {@link IngestService} passes its {@link UnwritableRecords}. */
  public static final String REGISTRY_CONFIG = "osprey.ingest.unwritable.records";

  private static final Logger LOG = LoggerFactory.getLogger(UnwritableRecordHandler.class);

  private UnwritableRecords registry;

  @Override
  public void configure(Map<String, ?> configs) {
    Object r = configs.get(REGISTRY_CONFIG);
    if (!(r instanceof UnwritableRecords records)) {
      throw new IllegalArgumentException(REGISTRY_CONFIG + " must hold the instance's UnwritableRecords, got " + r);
    }
    registry = records;
  }

  @Override
  public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
    if (isTheRecordsFault(exception)) {
      // Not context.offset(): the context is read when this callback runs, by which time the
      // stream thread is at another record. The refused record's own value names its source.
      String why = "Kafka refused the output to " + record.topic() + ": " + exception.getMessage();
      if (registry.refused(record.value(), why)) {
        LOG.error("output to {} (key {}) cannot be written ({}); the task restarts and dead-letters its source record",
            record.topic(), record.key() == null ? null : record.key().length + " bytes", exception.toString());
      } else {
        LOG.error("output to {} cannot be written ({}) and its source record is unknown; the task fails",
            record.topic(), exception.toString());
      }
      return Response.fail();
    }
    return exception instanceof RetriableException ? Response.retry() : Response.fail();
  }

  static boolean isTheRecordsFault(Exception e) {
    return e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException;
  }
}
