package dev.osprey.monitor.service;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.ModelActivation;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the compacted models topic from the beginning, on its own thread and without a group,
 * and has the {@link ReferenceCatalog} calibrate every activated version ahead of its predictions,
 * so a swap does not wait for the calibration. The monitor needs a version's manifest (its
 * reference profile), not a runtime, so this reads activations only; the detectors themselves
 * follow the versions in the prediction stream (see {@link ModelStream}).
 */
final class ActivationFollower implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(ActivationFollower.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final String modelsTopic;
  private final Consumer<String, byte[]> consumer;
  private final ReferenceCatalog catalog;
  private final Duration timeout;
  private final EventCodec codec = new EventCodec();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile boolean began;
  private volatile Throwable fatal;

  /** @param consumer read_committed, no group; closed here */
  ActivationFollower(String modelsTopic, Consumer<String, byte[]> consumer, ReferenceCatalog catalog, Duration timeout) {
    this.modelsTopic = modelsTopic;
    this.consumer = consumer;
    this.catalog = catalog;
    this.timeout = timeout;
  }

  void start() {
    Thread t = new Thread(this, "osprey-monitor-models");
    t.setDaemon(true);
    began = true;
    t.start();
  }

  @Override
  public void run() {
    try {
      List<TopicPartition> partitions = consumer.partitionsFor(modelsTopic, timeout).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (running) {
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
    } catch (WakeupException e) {
      // stop() was called
    } catch (Exception | Error e) {
      if (running) {
        fatal = e;
        log.error("model follower stopped (versions are still calibrated when their predictions arrive)", e);
      }
    } finally {
      running = false;
      consumer.close(Duration.ofSeconds(5));
      stopped.countDown();
    }
  }

  /** What stopped it, or null. Its end does not stop the monitor: calibration then happens on demand. */
  Throwable fatal() {
    return fatal;
  }

  void stop() throws InterruptedException {
    running = false;
    if (!began) {
      consumer.close(Duration.ofSeconds(5));
      return;
    }
    consumer.wakeup();
    stopped.await();
  }
}
