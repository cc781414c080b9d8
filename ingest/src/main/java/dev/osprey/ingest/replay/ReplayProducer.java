package dev.osprey.ingest.replay;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.topic.Topics;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays a dataset as {@code Sample}s to the raw samples topic at a steady rate, with drift,
 * delayed feedback and junk as configured (see {@link ReplayStream} for the exact sequence).
 */
public final class ReplayProducer {
  private static final Logger log = LoggerFactory.getLogger(ReplayProducer.class);

  private final ReplayConfig config;
  private final Topics topics;
  private final ImageDataset dataset;

  public ReplayProducer(ReplayConfig config, Topics topics, ImageDataset dataset) {
    this.config = Objects.requireNonNull(config, "config");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.dataset = Objects.requireNonNull(dataset, "dataset");
  }

  /** What a replay sent. */
  public record Summary(int samples, int feedback, Map<RejectReason, Integer> junk, Duration elapsed) {
    public int junkTotal() {
      return junk.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  /** The records this replay sends, in order, without sending them. */
  public ReplayStream stream() {
    return new ReplayStream(config, dataset, topics);
  }

  /**
   * A producer for the raw topics: idempotent, {@code acks=all}, serializers from the catalogue.
   * {@code base} holds bootstrap.servers and any pass-through client settings.
   */
  public static Producer<String, byte[]> newKafkaProducer(Properties base, Topics topics) {
    Map<String, Object> defaults = new HashMap<>();
    defaults.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    // topics created just before a replay by another tool: see TopicAdmin.awaitWritable (KAFKA-15591)
    defaults.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    defaults.keySet().removeAll(base.keySet()); // what the caller set wins
    return new KafkaClients(base).idempotentProducer(topics.samplesRaw(), null, defaults);
  }

  /**
   * Sends every record, paced at {@link ReplayConfig#rate()} samples per second, then flushes.
   *
   * @throws KafkaException if any send failed (the first failure is the cause)
   */
  public Summary run(Producer<String, byte[]> producer) {
    return run(producer, i -> false);
  }

  /**
   * As {@link #run(Producer)}, but open-ended: stops before sample {@code i} as soon as
   * {@code stopBefore.test(i)} holds (e.g. a set number of samples after some event), or at the
   * limit. Feedback still pending for the samples sent last is then not sent; the summary counts
   * what was.
   *
   * @throws KafkaException if any send failed (the first failure is the cause)
   */
  public Summary run(Producer<String, byte[]> producer, IntPredicate stopBefore) {
    ReplayStream records = stream();
    int total = records.sampleCount();
    AtomicReference<Exception> failure = new AtomicReference<>();
    int samples = 0;
    int feedback = 0;
    Map<RejectReason, Integer> junk = new EnumMap<>(RejectReason.class);
    long t0 = System.nanoTime();
    double nanosPerSample = config.rate() > 0 ? 1e9 / config.rate() : 0;
    try (ProgressBar bar = config.progress()
        ? new ProgressBarBuilder().setTaskName("replay " + config.runId()).setInitialMax(total)
            .setUnit(" samples", 1).setUpdateIntervalMillis(250).showSpeed().build()
        : null) {
      while (records.hasNext() && failure.get() == null) {
        ReplayRecord r = records.next();
        if (r.kind() == ReplayRecord.Kind.SAMPLE && stopBefore.test(samples)) {
          break;
        }
        if (r.kind() == ReplayRecord.Kind.SAMPLE && nanosPerSample > 0) {
          long due = t0 + (long) (samples * nanosPerSample);
          for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
            LockSupport.parkNanos(wait);
          }
        }
        producer.send(new ProducerRecord<>(r.topic(), null, r.timestamp(), r.key(), r.value()), (md, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
        });
        switch (r.kind()) {
          case SAMPLE -> {
            samples++;
            if (bar != null) {
              bar.step();
            }
          }
          case FEEDBACK -> feedback++;
          case JUNK -> junk.merge(r.junkReason(), 1, Integer::sum);
        }
      }
      producer.flush();
    }
    if (failure.get() != null) {
      throw new KafkaException("replay " + config.runId() + " failed after " + samples + " samples", failure.get());
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
    log.info("replay {}: {} samples, {} feedback, {} junk to {} in {} ms",
        config.runId(), samples, feedback, junk.values().stream().mapToInt(Integer::intValue).sum(),
        topics.samplesRaw().name(), elapsed.toMillis());
    return new Summary(samples, feedback, Map.copyOf(junk), elapsed);
  }
}
