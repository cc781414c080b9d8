package dev.osprey.monitor.report;

import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.monitor.drift.DriftConfig;
import dev.osprey.monitor.service.ReferenceCatalog;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a {@link MonitorTimeline} from the topics and writes it as a PNG ({@link TimelineChart}):
 * what {@code osprey monitor report} and the demo's end call. Reads each topic with read_committed
 * from the beginning to its end offsets at the time of the call: {@code osprey.samples} (input
 * summaries, when scores are recomputed), {@code osprey.predictions}, {@code osprey.outcomes},
 * {@code osprey.drift} and {@code osprey.runs} (which may be missing or empty). CBPE maps and the
 * calibrated detectors come from the registry through a {@link ReferenceCatalog} with the
 * monitor's drift settings: calibration is seeded, so the thresholds are the monitor's own.
 */
public final class MonitorReport {
  private static final Logger log = LoggerFactory.getLogger(MonitorReport.class);

  /**
   * What to draw.
   *
   * @param model the model whose predictions are the x axis
   * @param accuracyWindow outcomes (realized) and predictions (CBPE) per accuracy point
   * @param step every how many predictions a CBPE or score point is kept
   * @param scores recompute each detector's statistic over the predictions (calibrates each
   *     version's detectors: seconds to a minute per version at ERT 10,000)
   * @param drift the monitor's drift settings (ERT, window, calibration, disabled detectors)
   * @param timeout how long reading one topic to its end may take
   */
  public record Options(String model, int accuracyWindow, int step, boolean scores, DriftConfig drift, Duration timeout) {
    public Options {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(drift, "drift");
      Objects.requireNonNull(timeout, "timeout");
      if (accuracyWindow < 1 || step < 1) {
        throw new IllegalArgumentException("accuracyWindow and step must be >= 1, got " + accuracyWindow + " and " + step);
      }
    }

    /** Windows of 200, a point every 10 predictions, scores recomputed with the default drift settings. */
    public static Options of(String model) {
      return new Options(model, 200, 10, true, DriftConfig.defaults(), Duration.ofMinutes(2));
    }

    public Options withScores(boolean recompute) {
      return new Options(model, accuracyWindow, step, recompute, drift, timeout);
    }

    public Options withDrift(DriftConfig config) {
      return new Options(model, accuracyWindow, step, scores, config, timeout);
    }
  }

  private final KafkaClients kafka;
  private final Topics topics;
  private final ModelRegistry registry;

  /** @param kafka client properties ({@code bootstrap.servers} and any security settings) */
  public MonitorReport(Properties kafka, Topics topics, ModelRegistry registry) {
    this.kafka = new KafkaClients(Objects.requireNonNull(kafka, "kafka"));
    this.topics = Objects.requireNonNull(topics, "topics");
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /** Reads the topics and builds the timeline. */
  public MonitorTimeline timeline(Options options) {
    try (ReferenceCatalog catalog = new ReferenceCatalog(registry, options.drift())) {
      MonitorTimeline.Builder b = MonitorTimeline.builder(options.model())
          .optAccuracyWindow(options.accuracyWindow())
          .optStep(options.step())
          .optCbpe(v -> catalog.get(options.model(), v).cbpe());
      if (options.scores()) {
        b.optDetectors(v -> catalog.get(options.model(), v).detectors());
        if (!options.drift().disabled().contains("input-ks")) {
          read(topics.samples(), options.timeout(), b::sample);
        }
      }
      read(topics.predictions(), options.timeout(), b::prediction);
      read(topics.outcomes(), options.timeout(), b::outcome);
      read(topics.drift(), options.timeout(), b::drift);
      read(topics.runs(), options.timeout(), b::run);
      return b.build();
    }
  }

  /** Reads the topics, builds the timeline and writes it to {@code png}. */
  public MonitorTimeline write(Options options, Path png) throws IOException {
    MonitorTimeline t = timeline(options);
    TimelineChart.write(t, png);
    return t;
  }

  /**
   * Every committed record of a topic up to its end now, in the order they were written (record
   * timestamps; a consumer hands out partitions unevenly, so poll order is not stream order);
   * undecodable ones are skipped (counted in the log).
   */
  private <V> void read(Topic<String, V> topic, Duration timeout, Consumer<V> sink) {
    Deserializer<V> values = topic.valueSerde().deserializer();
    int skipped = 0;
    try (org.apache.kafka.clients.consumer.Consumer<String, byte[]> c = kafka.readCommittedConsumer(
        Serdes.String(), Serdes.ByteArray(), "osprey-monitor-report", Map.of())) {
      List<TopicPartition> parts = new ArrayList<>();
      c.listTopics(timeout).getOrDefault(topic.name(), List.of())
          .forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
      if (parts.isEmpty()) {
        log.info("{} does not exist: nothing from it in the report", topic.name());
        return;
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
      List<ConsumerRecord<String, V>> read = new ArrayList<>();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic.name() + " to its end within " + timeout);
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.value() == null) {
            continue;
          }
          V v;
          try {
            v = values.deserialize(r.topic(), r.value());
          } catch (RuntimeException e) {
            skipped++;
            continue;
          }
          read.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(), r.timestampType(),
              r.serializedKeySize(), r.serializedValueSize(), r.key(), v, r.headers(), r.leaderEpoch()));
        }
      }
      read.sort(java.util.Comparator.comparingLong(ConsumerRecord::timestamp)); // stable: a partition's order is kept
      read.forEach(r -> sink.accept(r.value()));
    }
    if (skipped > 0) {
      log.warn("skipped {} undecodable records of {}", skipped, topic.name());
    }
  }
}
