package dev.osprey.trainer.service;

import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.RunTransition;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The trainer's writes, each in its own Kafka transaction: a run's step on {@code osprey.runs}, or
 * a step together with the activation it records on {@code osprey.models} (ACTIVATED with the
 * candidate's activation, ROLLED_BACK with the champion's). Either both become visible to
 * read_committed readers or neither, so a crash can never leave an activation without its record
 * or the other way round. The transactional id is stable per trainer instance: a restarted trainer
 * fences its previous incarnation, whose open transaction is aborted. Used by one thread.
 */
final class RunLog implements RunRecorder, AutoCloseable {
  private final Producer<String, byte[]> producer;
  private final Topic<String, RunTransition> runs;
  private final Topic<String, ModelActivation> models;

  RunLog(KafkaClients kafka, Topics topics, String transactionalId) {
    this.runs = topics.runs();
    this.models = topics.models();
    this.producer = kafka.transactionalProducer(Serdes.String(), Serdes.ByteArray(), transactionalId,
        transactionalId + "-runs", Map.of());
  }

  /** Fences a previous incarnation (aborting its open transaction); call once before writing. */
  void init() {
    producer.initTransactions();
  }

  /** Writes one step. @throws KafkaException if the transaction failed (it was aborted: nothing is visible) */
  @Override
  public void append(RunTransition step) {
    write(step, null);
  }

  /** Writes a step and the activation it records, atomically. @throws KafkaException as {@link #append} */
  @Override
  public void appendWithActivation(RunTransition step, ModelActivation activation) {
    write(step, activation);
  }

  private void write(RunTransition step, ModelActivation activation) {
    try {
      producer.beginTransaction();
      if (activation != null) {
        producer.send(new ProducerRecord<>(models.name(), activation.modelName(),
            models.valueSerde().serializer().serialize(models.name(), activation)));
      }
      producer.send(new ProducerRecord<>(runs.name(), step.runId(),
          runs.valueSerde().serializer().serialize(runs.name(), step)));
      producer.commitTransaction();
    } catch (ProducerFencedException | InvalidProducerEpochException | OutOfOrderSequenceException
        | AuthorizationException e) {
      throw e; // this producer cannot go on
    } catch (KafkaException e) {
      try {
        producer.abortTransaction();
      } catch (KafkaException abort) {
        e.addSuppressed(abort);
      }
      throw e;
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
