package dev.osprey.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.service.Health;
import dev.osprey.core.topic.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestServiceTest {
  @TempDir Path stateDir;

  private IngestConfig config() {
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", "127.0.0.1:9");
    kafka.put("security.protocol", "SASL_SSL");
    kafka.put("sasl.mechanism", "SCRAM-SHA-512");
    return new IngestConfig("ingest-unit", kafka, 4096, Duration.ofMinutes(1), stateDir, Duration.ofSeconds(2));
  }

  @Test
  void streamsConfigMergesPassthroughAndRequiresExactlyOnce() {
    IngestService service = new IngestService(config(), Topics.defaults(), new SimpleMeterRegistry());
    Properties p = service.streamsConfig();
    assertEquals("127.0.0.1:9", p.get("bootstrap.servers"));
    assertEquals("SASL_SSL", p.get("security.protocol"));
    assertEquals("SCRAM-SHA-512", p.get("sasl.mechanism"));
    assertEquals("exactly_once_v2", p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    assertEquals("ingest-unit", p.get(StreamsConfig.APPLICATION_ID_CONFIG));
    assertEquals(stateDir.toAbsolutePath().toString(), p.get(StreamsConfig.STATE_DIR_CONFIG));
    assertEquals(KafkaStreams.State.NOT_RUNNING, service.state());
    assertEquals(Health.Status.STARTING, service.health().status());
    service.close();
    service.close();
    assertEquals(Health.Status.CLOSED, service.health().status());
    assertThrows(IllegalStateException.class, service::start);
  }

  @Test
  void deadStreamThreadsAreReplacedUnlessTheirSourceIsGone() {
    IngestService service = new IngestService(config(), Topics.defaults(), new SimpleMeterRegistry());
    assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, service.onUncaught(new StreamsException("boom")));
    assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, service.onUncaught(new MissingSourceTopicException("gone")));
    assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT,
        service.onUncaught(new StreamsException(new MissingSourceTopicException("gone"))));
  }

  @Test
  void countersRenderWithThePrometheusNames() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Topics topics = new Topics("", new EventCodec());
    StreamsBuilder builder = new StreamsBuilder();
    IngestTopology.build(builder, topics, config(), new IngestMetrics(registry));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ingest-unit");
    props.put("bootstrap.servers", "127.0.0.1:9");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
      var in = driver.createInputTopic(topics.samplesRaw().name(), topics.samplesRaw().keySerde().serializer(),
          topics.samplesRaw().valueSerde().serializer());
      RawEvents events = new RawEvents();
      in.pipeInput(new TestRecord<>("a", events.encode(events.sample("a", 1))));
      in.pipeInput(new TestRecord<>("b", RawEvents.utf8("{")));
      in.pipeInput(new TestRecord<>("c", RawEvents.utf8("[]")));
    }
    String text = registry.scrape();
    assertTrue(text.contains("osprey_ingest_records_validated_total{topic=\"osprey.samples.raw\"} 1.0"), text);
    assertTrue(text.contains("osprey_ingest_records_rejected_total{reason=\"not-json\",topic=\"osprey.samples.raw\"} 2.0"), text);
  }
}
