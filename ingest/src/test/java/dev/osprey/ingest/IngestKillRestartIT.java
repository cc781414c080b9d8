package dev.osprey.ingest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.ChildJvm;
import dev.osprey.broker.CommittedReader;
import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.broker.PacedSender;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.service.Health;
import dev.osprey.core.topic.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills (SIGKILL) ingest mid-stream, at a point drawn from a seeded random, while traffic keeps
 * arriving, then starts another instance on the same state directory and checks exactly-once: each
 * input ends in exactly one committed output (read_committed). Both Streams applications: the
 * validation topologies (every raw sample in osprey.samples or osprey.dlq, duplicates caught by the
 * restored dedupe store) and the label joins (one labeled sample and one outcome per label, or its
 * dead letter; the first label still wins after the restart).
 */
class IngestKillRestartIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final Duration JOIN_WINDOW = Duration.ofHours(1);
  private static final long SEED = 20261129L;
  private static final Duration START = Duration.ofMinutes(2);

  private final EventCodec codec = new EventCodec();
  @TempDir Path tmp;

  /**
   * Ingest's config for the killed and the restarted instance. The killed member's partitions move
   * after its session timeout: 6 s (the broker's minimum) instead of Kafka's 45 s keeps the test short.
   */
  static IngestConfig config(Properties kafka, Path stateDir) {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put("session.timeout.ms", "6000");
    p.put("heartbeat.interval.ms", "1000");
    return new IngestConfig("kill-ingest", p, IngestConfig.DEFAULT_MAX_SAMPLE_BYTES, Duration.ofMinutes(10), stateDir,
        START);
  }

  /** Outputs by key and where they went ({@code samples}, a DLQ reason, ...), counted. */
  private static Map<String, Integer> tally(List<ConsumerRecord<String, byte[]>> records,
      Function<ConsumerRecord<String, byte[]>, String> kind) {
    Map<String, Integer> out = new TreeMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      out.merge(r.key() + " -> " + kind.apply(r), 1, Integer::sum);
    }
    return out;
  }

  private static String reason(ConsumerRecord<String, byte[]> r) {
    return DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON);
  }

  @Test
  void validationKilledMidStreamWritesEverySampleOnceToSamplesOrTheDlq() throws Exception {
    Topics topics = new Topics("killv.", codec);
    kafka.createTopics(topics, 3);
    RawEvents events = new RawEvents();
    List<ProducerRecord<String, byte[]>> raw = new ArrayList<>();
    Map<String, Integer> expected = new TreeMap<>();
    for (int i = 0; i < 3000; i++) {
      String id = "kv-" + i;
      raw.add(new ProducerRecord<>(topics.samplesRaw().name(), id, events.encode(events.sample(id, i))));
      expected.put(id + " -> samples", 1);
      if (i % 10 == 5) {
        raw.add(new ProducerRecord<>(topics.samplesRaw().name(), "junk-" + i, RawEvents.utf8("{not json " + i)));
        expected.put("junk-" + i + " -> " + RejectReason.NOT_JSON.code(), 1);
      }
      if (i % 25 == 24) { // the same sample again, a little later: the dedupe store must know it after the restart
        String again = "kv-" + (i - 20);
        raw.add(new ProducerRecord<>(topics.samplesRaw().name(), again, events.encode(events.sample(again, i - 20))));
        expected.put(again + " -> " + RejectReason.DUPLICATE_ID.code(), 1);
      }
    }
    try (CommittedReader samples = new CommittedReader(kafka.clientProperties(), topics.samples().name());
        CommittedReader dlq = new CommittedReader(kafka.clientProperties(), topics.dlq().name())) {
      killAndRestart(topics, "validate", raw, expected.size(), () -> samples.poll() + dlq.poll(), () -> {
        Map<String, Integer> got = tally(samples.records(), r -> "samples");
        tally(dlq.records(), IngestKillRestartIT::reason).forEach((k, n) -> got.merge(k, n, Integer::sum));
        assertEquals(expected, got, "each raw record once, in osprey.samples or osprey.dlq");
        for (ConsumerRecord<String, byte[]> r : samples.records()) {
          assertEquals(r.key(), codec.decode(r.value(), Sample.class).id());
        }
        return samples.atEnd() && dlq.atEnd();
      });
    }
  }

  @Test
  void labelJoinsKilledMidStreamWriteOneLabeledSampleAndOneOutcomePerLabel() throws Exception {
    Topics topics = new Topics("killj.", codec);
    kafka.createTopics(topics, 3);
    long t0 = System.currentTimeMillis();
    List<ProducerRecord<String, byte[]>> in = new ArrayList<>();
    Map<String, Integer> expected = new TreeMap<>();
    for (int i = 0; i < 2000; i++) {
      String id = "kj-" + i;
      long ts = t0 + i;
      in.add(new ProducerRecord<>(topics.samples().name(), null, ts, id, codec.encode(
          Sample.ofTensor(id, ts, Tensor.ofFloat32(new float[] {i, 0.5f, 0.25f, 1f}, 1, 2, 2), Map.of()))));
      in.add(new ProducerRecord<>(topics.predictions().name(), null, ts + 1, id, codec.encode(new Prediction(
          Prediction.SCHEMA_VERSION, id, "digits", 1, 1, "one", 0.7f, List.of(0.2f, 0.7f, 0.1f), null, "onnx-cpu",
          "int8", ts, ts + 1))));
      if (i % 2 == 1) {
        continue; // unlabeled: neither joined nor dead-lettered within the window
      }
      int label = i % 50 == 10 ? 7 : i % 3; // 7 is none of the model's 3 classes
      in.add(new ProducerRecord<>(topics.feedback().name(), null, ts + 2, id,
          codec.encode(Feedback.of(id, label, "annotator", ts + 2))));
      expected.put(id + " -> labeled", 1);
      expected.put(id + " -> " + (label == 7 ? RejectReason.INVALID_FIELD.code() : "outcome"), 1);
      if (i % 20 == 0) { // a second label: the first one wins, also when it was read before the restart
        int second = i % 40 == 0 ? label : (label + 1) % 3;
        in.add(new ProducerRecord<>(topics.feedback().name(), null, ts + 3, id,
            codec.encode(Feedback.of(id, second, "annotator-2", ts + 3))));
        expected.merge(id + " -> " + (second == label ? RejectReason.DUPLICATE_LABEL : RejectReason.CONFLICTING_LABEL)
            .code(), 1, Integer::sum);
      }
    }
    try (CommittedReader labeled = new CommittedReader(kafka.clientProperties(), topics.labeled().name());
        CommittedReader outcomes = new CommittedReader(kafka.clientProperties(), topics.outcomes().name());
        CommittedReader dlq = new CommittedReader(kafka.clientProperties(), topics.dlq().name())) {
      killAndRestart(topics, "joins", in, expected.size(), () -> labeled.poll() + outcomes.poll() + dlq.poll(), () -> {
        Map<String, Integer> got = tally(labeled.records(), r -> "labeled");
        tally(outcomes.records(), r -> "outcome").forEach((k, n) -> got.merge(k, n, Integer::sum));
        tally(dlq.records(), IngestKillRestartIT::reason).forEach((k, n) -> got.merge(k, n, Integer::sum));
        assertEquals(expected, got, "one labeled sample and one outcome (or dead letter) per label");
        return labeled.atEnd() && outcomes.atEnd() && dlq.atEnd();
      });
    }
  }

  interface Count {
    int poll();
  }

  interface Check {
    /** Asserts the outputs read so far; true when every output topic was read to its end. */
    boolean done() throws Exception;
  }

  /**
   * Starts ingest ({@code mode}) in a child JVM, sends {@code input} paced, SIGKILLs the child after a
   * random number of committed outputs, starts ingest again here on the same state directory and
   * waits for {@code outputs}, then checks.
   */
  private void killAndRestart(Topics topics, String mode, List<ProducerRecord<String, byte[]>> input, int outputs,
      Count count, Check check) throws Exception {
    Random random = new Random(SEED + mode.hashCode());
    int killAfter = outputs / 5 + random.nextInt(outputs * 2 / 5);
    System.out.printf("ingest %s: seed %d, SIGKILL after %d of %d committed outputs%n", mode, SEED, killAfter, outputs);
    Path state = tmp.resolve("state");
    long t0 = System.nanoTime();
    try (ChildJvm first = ChildJvm.start(IngestProcessMain.class, tmp.resolve(mode + ".log"), "READY", START,
            kafka.bootstrapServers(), topics.prefix(), state.toString(), mode);
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(),
            new ByteArraySerializer());
        PacedSender<String, byte[]> sender = PacedSender.start(producer, input, 20, Duration.ofMillis(20))) {
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10)).until(() -> count.poll() >= killAfter);
      first.kill();
      int atKill = count.poll();
      System.out.printf("ingest %s killed after %d committed outputs, %d of %d inputs sent%n", mode, atKill,
          sender.sent(), input.size());
      assertTrue(atKill < outputs, "killed mid-stream: " + atKill + " of " + outputs + " outputs");

      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      IngestConfig config = config(kafka.clientProperties(), state);
      try (IngestService second = mode.equals("joins")
          ? IngestService.labelJoins(config, topics, meters, JOIN_WINDOW)
          : new IngestService(config, topics, meters)) {
        second.start();
        sender.awaitDone(Duration.ofMinutes(2));
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() -> count.poll() >= outputs);
        // every output read to the end of what is committed, and nothing more comes (no duplicate)
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
            .untilAsserted(() -> {
              count.poll();
              assertTrue(check.done(), "outputs read to their last stable offsets");
            });
        assertEquals(Health.Status.READY, second.health().status());
        assertEquals(0, second.recentThreadReplacements(), "no stream thread died");
      }
    }
    System.out.printf("ingest %s: exactly once across the SIGKILL, %d outputs, %.1f s%n", mode, outputs,
        (System.nanoTime() - t0) / 1e9);
  }
}
