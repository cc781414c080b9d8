package dev.osprey.monitor.service;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.service.ClientThreadWork;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the compacted models topic from the beginning, on its own thread and without a group,
 * and has the {@link ReferenceCatalog} calibrate every activated version ahead of its predictions,
 * so a swap does not wait for the calibration. The monitor needs a version's manifest (its
 * reference profile), not a runtime, so this reads activations only; the detectors themselves
 * follow the versions in the prediction stream (see {@link ModelStream}).
 */
final class ActivationFollower extends ClientThreadWork {
  private static final Logger log = LoggerFactory.getLogger(ActivationFollower.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final String modelsTopic;
  private final Consumer<String, byte[]> consumer;
  private final ReferenceCatalog catalog;
  private final Duration timeout;
  private final EventCodec codec = new EventCodec();

  /** @param consumer read_committed, no group; closed here */
  ActivationFollower(String modelsTopic, Consumer<String, byte[]> consumer, ReferenceCatalog catalog, Duration timeout) {
    super(log);
    this.modelsTopic = modelsTopic;
    this.consumer = consumer;
    this.catalog = catalog;
    this.timeout = timeout;
  }

  @Override
  protected Consumer<?, ?> consumer() {
    return consumer;
  }

  @Override
  protected void cleanup() {
    consumer.close(Duration.ofSeconds(5));
  }

  /** Its end does not stop the monitor: versions are then calibrated when their predictions arrive. */
  @Override
  protected void work() {
    List<TopicPartition> partitions = consumer.partitionsFor(modelsTopic, timeout).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    while (running()) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
        if (r.value() == null) {
          continue;
        }
        try {
          ModelActivation a = codec.decodeModelActivation(r.value());
          log.info("activation of {}:{} seen: calibrating its drift detectors ahead of its predictions",
              a.modelName(), a.version());
          catalog.prepare(a.modelName(), a.version());
        } catch (InvalidEventException e) {
          log.warn("invalid activation at {}-{}@{} skipped: {}", r.topic(), r.partition(), r.offset(), e.detail());
        }
      }
    }
  }
}
