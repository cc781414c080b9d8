package dev.osprey.cli.ingest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.cli.OspreyCommand;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code osprey ingest replay} against a real broker, through the command line. */
class IngestCommandIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  @Test
  void replayCreatesTopicsAndSendsSamplesFeedbackAndJunk() {
    StringWriter err = new StringWriter();
    int code = OspreyCommand.newCommandLine().setErr(new PrintWriter(err, true)).execute("ingest", "replay", "--bootstrap-servers", kafka.bootstrapServers(),
        "--topic-prefix", "cli.", "--create-topics", "--dataset", "fixture:test", "--limit", "200", "--rate", "0",
        "--junk", "9", "--junk-too-large-bytes", "20000", "--feedback-fraction", "1", "--feedback-delay", "0",
        "--seed", "3", "--start-time", "1000", "--no-progress");
    assertEquals(0, code, err::toString);
    Topics topics = new Topics("cli.", new EventCodec());
    assertEquals(209, count(topics.samplesRaw().name(), 209));
    assertEquals(200, count(topics.feedbackRaw().name(), 200));
  }

  /**
   * {@code osprey ingest serve} runs the label joins: replayed samples with labels come out of
   * {@code osprey.labeled}, and predictions of those samples (written here as inference would) come
   * out of {@code osprey.outcomes} joined with their labels.
   */
  @Test
  void serveRunsTheLabelJoins(@TempDir Path state) throws Exception {
    String prefix = "serve.";
    Topics topics = new Topics(prefix, new EventCodec());
    StringWriter err = new StringWriter();
    int replayed = OspreyCommand.newCommandLine().setErr(new PrintWriter(err, true)).execute("ingest", "replay",
        "--bootstrap-servers", kafka.bootstrapServers(), "--topic-prefix", prefix, "--create-topics", "--dataset", "fixture:test",
        "--limit", "20", "--rate", "0", "--feedback-fraction", "1", "--feedback-delay", "0", "--seed", "5",
        "--start-time", "1000", "--no-progress");
    assertEquals(0, replayed, err::toString);

    CommandLine cli = OspreyCommand.newCommandLine().setErr(new PrintWriter(err, true));
    IngestCommand.Serve serve = cli.getSubcommands().get("ingest").getSubcommands().get("serve").getCommand();
    CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> cli.execute("ingest", "serve",
        "--bootstrap-servers", kafka.bootstrapServers(), "--topic-prefix", prefix, "--state-dir", state.toString(),
        "--metrics-port", "-1", "--join-window", "PT10M"));
    try {
      // inference's part: one prediction per validated sample (always class 3)
      List<Sample> samples = read(topics.samples(), 20);
      try (KafkaProducer<String, Prediction> producer = new KafkaProducer<>(kafka.clientProperties(),
          topics.predictions().keySerde().serializer(), topics.predictions().valueSerde().serializer())) {
        for (Sample s : samples) {
          List<Float> p = new ArrayList<>(Collections.nCopies(10, 0.02f));
          p.set(3, 0.82f);
          Prediction prediction = new Prediction(Prediction.SCHEMA_VERSION, s.id(), "digits", 1, 3, "3", 0.82f, p, null,
              "onnx-cpu", "int8", s.timestamp(), s.timestamp() + 5);
          producer.send(new ProducerRecord<>(topics.predictions().name(), null, prediction.timestamp(), s.id(), prediction));
        }
      }
      Map<String, Integer> labels = read(topics.labeled(), 20).stream()
          .collect(Collectors.toMap(LabeledSample::sampleId, LabeledSample::label, (a, b) -> a, TreeMap::new));
      assertEquals(samples.stream().map(Sample::id).sorted().toList(), List.copyOf(labels.keySet()),
          "every labeled sample is joined once");
      List<Outcome> outcomes = read(topics.outcomes(), 20);
      int correct = 0;
      for (Outcome o : outcomes) {
        assertEquals(labels.get(o.sampleId()), o.actual(), o.sampleId());
        assertEquals(3, o.predicted());
        assertEquals(o.actual() == 3, o.correct());
        correct += o.correct() ? 1 : 0;
      }
      assertEquals(labels.values().stream().filter(l -> l == 3).count(), correct);
      assertTrue(running.getNow(-1) == -1, "serve still runs: " + err);
    } finally {
      serve.service.runner().stop();
    }
    assertEquals(0, running.get(), err::toString);
  }

  /** Exactly {@code expected} committed values of a topic, polled until they are there. */
  private <V> List<V> read(Topic<String, V> topic, int expected) {
    Properties p = kafka.clientProperties();
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<V> got = new ArrayList<>();
    try (KafkaConsumer<String, V> c = new KafkaConsumer<>(p, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic.name()).stream()
          .map(i -> new TopicPartition(topic.name(), i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      await().atMost(Duration.ofSeconds(90)).until(() -> {
        c.poll(Duration.ofMillis(200)).forEach(r -> got.add(r.value()));
        return got.size() >= expected;
      });
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> {
        c.poll(Duration.ofMillis(100)).forEach(r -> got.add(r.value()));
        return got.size() == expected;
      });
    }
    return got;
  }

  private int count(String topic, int expected) {
    Properties p = kafka.clientProperties();
    List<ConsumerRecord<String, byte[]>> got = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        c.poll(Duration.ofMillis(200)).forEach(got::add);
        return got.size() >= expected;
      });
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> {
        c.poll(Duration.ofMillis(100)).forEach(got::add);
        return got.size() == expected;
      });
    }
    return got.size();
  }
}
