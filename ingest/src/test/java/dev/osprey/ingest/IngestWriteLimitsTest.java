package dev.osprey.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Sample;
import dev.osprey.core.kafka.RecordSize;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.topic.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What ingest writes is checked against what Kafka accepts: headers, key and encoded value together. */
class IngestWriteLimitsTest {
  private static final int LIMIT = 20_000;
  private static final Instant T0 = Instant.ofEpochMilli(1_732_350_000_000L);

  @TempDir Path stateDir;

  private final RawEvents events = new RawEvents();
  private final Topics topics = new Topics("wl.", new EventCodec());

  @Test
  void outputOverTheLimitIsDeadLetteredCutToFitAndTheNextRecordPasses() {
    UnwritableRecords unwritable = new UnwritableRecords();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", "127.0.0.1:9");
    IngestConfig config = new IngestConfig("wl", kafka, 8192, Duration.ofMinutes(5), stateDir, Duration.ofSeconds(5));
    StreamsBuilder builder = new StreamsBuilder();
    IngestTopology.build(builder, topics, config, new IngestMetrics(registry), new WriteLimits(LIMIT, LIMIT, LIMIT),
        unwritable);
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "wl");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
      TestInputTopic<String, byte[]> raw = driver.createInputTopic(topics.samplesRaw().name(),
          topics.samplesRaw().keySerde().serializer(), topics.samplesRaw().valueSerde().serializer());
      TestOutputTopic<String, Sample> samples = driver.createOutputTopic(topics.samples().name(),
          topics.samples().keySerde().deserializer(), topics.samples().valueSerde().deserializer());
      TestOutputTopic<String, byte[]> dlq = driver.createOutputTopic(topics.dlq().name(),
          topics.dlq().keySerde().deserializer(), topics.dlq().valueSerde().deserializer());

      // A valid 2.7 KB sample carrying 3 x 10 KB of headers: its output would be ~33 KB.
      RecordHeaders bulky = new RecordHeaders();
      for (int i = 0; i < 3; i++) {
        bulky.add("bulk-" + i, new byte[10_000]);
      }
      byte[] a = events.encode(events.sample("a", 1));
      raw.pipeInput(new TestRecord<>("a", a, bulky, T0));
      // The same sample id's neighbour with one small header passes.
      RecordHeaders small = new RecordHeaders();
      small.add("trace", "t-1".getBytes());
      raw.pipeInput(new TestRecord<>("b", events.encode(events.sample("b", 2)), small, T0));
      // A record Kafka refused once (offset 2): dead-lettered with that reason when read again.
      unwritable.mark(topics.samplesRaw().name(), 0, 2,
          new UnwritableRecords.Refusal("Kafka refused the output: too large", false));
      raw.pipeInput(new TestRecord<>("c", events.encode(events.sample("c", 3)), T0));

      List<TestRecord<String, Sample>> valid = samples.readRecordsToList();
      assertEquals(List.of("b"), valid.stream().map(TestRecord::key).toList());
      assertEquals("t-1", new String(valid.get(0).headers().lastHeader("trace").value()));

      List<TestRecord<String, byte[]>> dead = dlq.readRecordsToList();
      assertEquals(2, dead.size());
      TestRecord<String, byte[]> first = dead.get(0);
      assertEquals("a", first.key());
      assertArrayEquals(a, first.value(), "the small original value is kept whole");
      assertEquals("too-large", DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.REASON));
      String detail = DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.DETAIL);
      assertTrue(detail.startsWith("the output record would be 3") && detail.contains("over the 20000 bytes"), detail);
      assertEquals("2 headers, 20032 bytes", DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.HEADERS_DROPPED));
      long size = RecordSize.upperBound(1, first.value().length, first.headers());
      assertTrue(size <= LIMIT, "the dead letter is " + size + " bytes");
      assertNotNull(first.headers().lastHeader("bulk-0"), "headers are kept in order while they fit");

      TestRecord<String, byte[]> refused = dead.get(1);
      assertEquals("c", refused.key());
      assertEquals("Kafka refused the output: too large", DeadLetterHeaders.read(refused.headers(), DeadLetterHeaders.DETAIL));
      assertEquals(2.0, registry.get(IngestMetrics.REJECTED).tag("reason", "too-large").counter().count());
    }
  }

  @Test
  void limitsAreTheSmallerOfTheProducersAndTheTopics() {
    Properties p = new Properties();
    p.put("producer.max.request.size", "2000000");
    WriteLimits limits = WriteLimits.of(p, topics,
        java.util.Map.of(topics.samples().name(), 500_000, topics.dlq().name(), 3_000_000));
    assertEquals(new WriteLimits(500_000, WriteLimits.DEFAULT_MAX_MESSAGE_BYTES, 2_000_000), limits);
    assertEquals(new WriteLimits(WriteLimits.DEFAULT_MAX_REQUEST_SIZE, WriteLimits.DEFAULT_MAX_REQUEST_SIZE,
        WriteLimits.DEFAULT_MAX_REQUEST_SIZE), WriteLimits.of(new Properties(), topics));
  }
}
