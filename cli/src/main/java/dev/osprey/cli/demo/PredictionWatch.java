package dev.osprey.cli.demo;

import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Follows {@code osprey.predictions} and {@code osprey.feedback} (read_committed) while the demo
 * replays, printing throughput and online accuracy — predictions checked against the labels that
 * labelers send — once a second, as a dashboard would show them.
 */
public final class PredictionWatch {
  private final Duration reportEvery;

  /**
   * @param predictions prediction records read
   * @param distinctIds distinct sample ids among them
   * @param versions predictions per model version ("digits:1" -> count)
   * @param labelled predicted samples that also have a label
   * @param correct of those, predicted right
   */
  public record Tally(int predictions, int distinctIds, Map<String, Integer> versions, int labelled, int correct) {
    static final Tally EMPTY = new Tally(0, 0, Map.of(), 0, 0);

    public double accuracy() {
      return labelled == 0 ? Double.NaN : (double) correct / labelled;
    }
  }

  /**
   * One labelled prediction.
   *
   * @param index the sample's replay index (its id ends in {@code -<index>})
   * @param version the model version that predicted it
   * @param correct whether the prediction matched the label
   */
  public record Labelled(int index, int version, boolean correct) {}

  private final Properties kafka;
  private final Topics topics;
  private final PrintStream out;
  private final AtomicBoolean running = new AtomicBoolean();
  private final Map<String, Integer> predicted = new HashMap<>();
  private final Map<String, Integer> truth = new HashMap<>();
  private final Map<String, Integer> versions = new TreeMap<>();
  private final Map<String, Integer> versionOf = new HashMap<>();
  private int records;
  private Thread thread;

  PredictionWatch(Properties kafka, Topics topics, PrintStream out) {
    this(kafka, topics, out, Duration.ofSeconds(1));
  }

  /** As above, printing a live line every {@code reportEvery}. */
  PredictionWatch(Properties kafka, Topics topics, PrintStream out, Duration reportEvery) {
    this.kafka = kafka;
    this.topics = topics;
    this.out = out;
    this.reportEvery = reportEvery;
  }

  void start() {
    running.set(true);
    thread = new Thread(this::run, "osprey-demo-watch");
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops following (after a last poll) and returns the final tally. */
  Tally stop() {
    if (running.getAndSet(false) && thread != null) {
      try {
        thread.join(Duration.ofSeconds(10).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return tally();
  }

  synchronized Tally tally() {
    int labelled = 0;
    int correct = 0;
    for (Map.Entry<String, Integer> t : truth.entrySet()) {
      Integer p = predicted.get(t.getKey());
      if (p != null) {
        labelled++;
        correct += p.equals(t.getValue()) ? 1 : 0;
      }
    }
    return new Tally(records, predicted.size(), Map.copyOf(versions), labelled, correct);
  }

  /**
   * Online accuracy of the labelled samples before and after a replay index (ids end in
   * {@code -<index>}): {accuracy before, labelled before, accuracy after, labelled after}.
   */
  synchronized double[] accuracySplit(int onset) {
    int[] n = new int[2];
    int[] ok = new int[2];
    for (Map.Entry<String, Integer> t : truth.entrySet()) {
      Integer p = predicted.get(t.getKey());
      String id = t.getKey();
      int dash = id.lastIndexOf('-');
      if (p == null || dash < 0) {
        continue;
      }
      int side;
      try {
        side = Integer.parseInt(id.substring(dash + 1)) < onset ? 0 : 1;
      } catch (NumberFormatException e) {
        continue;
      }
      n[side]++;
      ok[side] += p.equals(t.getValue()) ? 1 : 0;
    }
    return new double[] {n[0] == 0 ? Double.NaN : (double) ok[0] / n[0], n[0], n[1] == 0 ? Double.NaN : (double) ok[1] / n[1], n[1]};
  }

  /** Every labelled prediction so far, in replay order (ids that do not end in {@code -<index>} are left out). */
  synchronized List<Labelled> labelled() {
    List<Labelled> all = new ArrayList<>();
    for (Map.Entry<String, Integer> t : truth.entrySet()) {
      Integer p = predicted.get(t.getKey());
      int index = indexOf(t.getKey());
      if (p != null && index >= 0) {
        all.add(new Labelled(index, versionOf.get(t.getKey()), p.equals(t.getValue())));
      }
    }
    all.sort(java.util.Comparator.comparingInt(Labelled::index));
    return all;
  }

  /** The lowest replay index each model version predicted (version -> index): about when it began serving. */
  synchronized Map<Integer, Integer> firstIndexByVersion() {
    Map<Integer, Integer> first = new TreeMap<>();
    versionOf.forEach((id, v) -> {
      int index = indexOf(id);
      if (index >= 0) {
        first.merge(v, index, Math::min);
      }
    });
    return first;
  }

  private static int indexOf(String id) {
    int dash = id.lastIndexOf('-');
    if (dash < 0) {
      return -1;
    }
    try {
      return Integer.parseInt(id.substring(dash + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void run() {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, Prediction> predictions = consumer(p, topics.predictions());
        KafkaConsumer<String, Feedback> feedback = consumer(p, topics.feedback())) {
      long start = System.nanoTime();
      long nextReport = start + reportEvery.toNanos();
      int lastCount = 0;
      long lastTime = start;
      boolean last = false;
      while (!last) {
        last = !running.get();
        var pr = predictions.poll(Duration.ofMillis(100));
        var fb = feedback.poll(Duration.ofMillis(10));
        synchronized (this) {
          for (ConsumerRecord<String, Prediction> r : pr) {
            records++;
            predicted.put(r.value().sampleId(), r.value().label());
            versionOf.put(r.value().sampleId(), r.value().modelVersion());
            versions.merge(r.value().modelName() + ":" + r.value().modelVersion(), 1, Integer::sum);
          }
          for (ConsumerRecord<String, Feedback> r : fb) {
            truth.put(r.value().sampleId(), r.value().label());
          }
        }
        long now = System.nanoTime();
        if (now >= nextReport && !last && records > 0) {
          Tally t = tally();
          double seconds = (now - start) / 1e9;
          String accuracy = t.labelled() == 0 ? "- (no labels yet)"
              : String.format(Locale.ROOT, "%.4f on %d labelled", t.accuracy(), t.labelled());
          out.printf(Locale.ROOT, "  live %5.1f s: %6d predictions (%5.0f/s now), online accuracy %s%s%n",
              seconds, t.predictions(), (t.predictions() - lastCount) / ((now - lastTime) / 1e9), accuracy,
              t.versions().size() > 1 ? ", by version " + t.versions() : "");
          lastCount = t.predictions();
          lastTime = now;
          nextReport = now + reportEvery.toNanos();
        }
      }
    }
  }

  private static <V> KafkaConsumer<String, V> consumer(Properties p, Topic<String, V> topic) {
    KafkaConsumer<String, V> c = new KafkaConsumer<>(p, topic.keySerde().deserializer(), topic.valueSerde().deserializer());
    List<TopicPartition> parts = new ArrayList<>();
    c.partitionsFor(topic.name()).forEach(pi -> parts.add(new TopicPartition(topic.name(), pi.partition())));
    c.assign(parts);
    c.seekToBeginning(parts);
    return c;
  }
}
