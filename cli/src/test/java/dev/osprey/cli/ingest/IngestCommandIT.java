package dev.osprey.cli.ingest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.cli.OspreyCommand;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.topic.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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
