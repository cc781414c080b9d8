package dev.osprey.ingest;

import dev.osprey.core.service.DeadLetterHeaders;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.topic.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestTopologyTest {
  private static final Duration WINDOW = Duration.ofMinutes(5);
  private static final int MAX_BYTES = 8192;
  private static final Instant T0 = Instant.ofEpochMilli(1_732_350_000_000L);

  @TempDir Path stateDir;

  private final RawEvents events = new RawEvents();
  private final Topics topics = new Topics("t1.", new EventCodec());
  private SimpleMeterRegistry registry;
  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> samplesRaw;
  private TestInputTopic<String, byte[]> feedbackRaw;
  private TestOutputTopic<String, Sample> samples;
  private TestOutputTopic<String, Feedback> feedback;
  private TestOutputTopic<String, byte[]> dlq;

  @BeforeEach
  void setUp() {
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", "127.0.0.1:9");
    IngestConfig config =
        new IngestConfig("ingest-test", kafka, MAX_BYTES, WINDOW, stateDir, Duration.ofSeconds(5));
    registry = new SimpleMeterRegistry();
    StreamsBuilder builder = new StreamsBuilder();
    IngestTopology.build(builder, topics, config, new IngestMetrics(registry));
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ingest-test");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(builder.build(), props);
    samplesRaw = input(topics.samplesRaw());
    feedbackRaw = input(topics.feedbackRaw());
    samples = driver.createOutputTopic(topics.samples().name(),
        topics.samples().keySerde().deserializer(), topics.samples().valueSerde().deserializer());
    feedback = driver.createOutputTopic(topics.feedback().name(),
        topics.feedback().keySerde().deserializer(), topics.feedback().valueSerde().deserializer());
    dlq = driver.createOutputTopic(topics.dlq().name(),
        topics.dlq().keySerde().deserializer(), topics.dlq().valueSerde().deserializer());
  }

  private TestInputTopic<String, byte[]> input(dev.osprey.core.topic.Topic<String, byte[]> t) {
    return driver.createInputTopic(t.name(), t.keySerde().serializer(), t.valueSerde().serializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  /** One expected dead letter: key, original bytes, reason, and the source offset. */
  private record Expected(String key, byte[] value, RejectReason reason, long offset) {}

  @Test
  void validSamplesPassAndEveryKindOfInvalidSampleIsDeadLetteredWithItsReason() {
    Sample a = events.sample("a", 1);
    Sample b = events.sample("b", 2);
    List<Expected> rejects = new ArrayList<>();
    long offset = 0;

    samplesRaw.pipeInput(new TestRecord<>("a", events.encode(a), T0));
    offset++;
    // A raw key that is not the id: output is keyed by the id.
    samplesRaw.pipeInput(new TestRecord<>("not-b", events.encode(b), T0));
    offset++;

    Map<RejectReason, byte[]> bad = new java.util.LinkedHashMap<>();
    bad.put(RejectReason.NOT_JSON, RawEvents.utf8("this is not json {"));
    bad.put(RejectReason.MISSING_FIELD, events.edited(events.sample("c", 3), n -> n.remove("timestamp")));
    bad.put(RejectReason.UNKNOWN_DTYPE,
        events.edited(events.sample("d", 4), n -> ((com.fasterxml.jackson.databind.node.ObjectNode) n.get("tensor")).put("dtype", "int4")));
    byte[] short700 = new byte[700];
    bad.put(RejectReason.SHAPE_MISMATCH,
        events.encode(Sample.ofTensor("e", 5, new Tensor(dev.osprey.core.event.DType.UINT8, List.of(1, 28, 28), short700), Map.of())));
    float[] f = new float[784];
    f[17] = Float.NaN;
    bad.put(RejectReason.NON_FINITE, events.encode(Sample.ofTensor("f", 6, Tensor.ofFloat32(f, 1, 28, 28), Map.of())));
    bad.put(RejectReason.TOO_LARGE,
        events.encode(Sample.ofTensor("g", 7, events.sample("g", 7).tensor(), Map.of("pad", "x".repeat(MAX_BYTES)))));
    bad.put(RejectReason.UNSUPPORTED_SCHEMA, events.edited(events.sample("h", 8), n -> n.put("schemaVersion", 2)));
    bad.put(RejectReason.INVALID_FIELD, events.edited(events.sample("i", 9), n -> n.put("timestamp", "yesterday")));
    bad.put(RejectReason.DUPLICATE_ID, events.encode(a));
    for (var e : bad.entrySet()) {
      String key = "k-" + e.getKey().code();
      samplesRaw.pipeInput(new TestRecord<>(key, e.getValue(), T0.plusSeconds(1)));
      rejects.add(new Expected(key, e.getValue(), e.getKey(), offset++));
    }
    // Null value and null key: a poison record, dead-lettered as not-json with its null key kept.
    samplesRaw.pipeInput(new TestRecord<String, byte[]>(null, null, T0.plusSeconds(1)));
    rejects.add(new Expected(null, null, RejectReason.NOT_JSON, offset++));
    // Bad base64 in tensor.data fails structure decoding.
    byte[] badBase64 = events.edited(events.sample("j", 10),
        n -> ((com.fasterxml.jackson.databind.node.ObjectNode) n.get("tensor")).put("data", "!!!"));
    samplesRaw.pipeInput(new TestRecord<>("j", badBase64, T0.plusSeconds(1)));
    rejects.add(new Expected("j", badBase64, RejectReason.INVALID_FIELD, offset++));
    // The documented example, written by hand, passes.
    byte[] handPixels = events.sample("x", 11).tensor().data();
    samplesRaw.pipeInput(new TestRecord<>("sample-000001", RawEvents.utf8(RawEvents.handWritten(handPixels)), T0));

    List<TestRecord<String, Sample>> out = samples.readRecordsToList();
    assertEquals(3, out.size());
    assertEquals("a", out.get(0).key());
    assertEquals(a, out.get(0).value());
    assertEquals("b", out.get(1).key());
    assertEquals(b, out.get(1).value());
    assertEquals("sample-000001", out.get(2).key());
    assertEquals(Sample.ofTensor("sample-000001", 1732350000000L, Tensor.ofUint8(handPixels, 1, 28, 28), Map.of("source", "camera-7")),
        out.get(2).value());

    List<TestRecord<String, byte[]>> dead = dlq.readRecordsToList();
    assertEquals(rejects.size(), dead.size());
    for (int i = 0; i < rejects.size(); i++) {
      Expected want = rejects.get(i);
      TestRecord<String, byte[]> got = dead.get(i);
      assertEquals(want.key(), got.key(), "key of reject " + i);
      assertArrayEquals(want.value(), got.value(), "original bytes of reject " + i);
      assertEquals(want.reason().code(), DeadLetterHeaders.read(got.headers(), DeadLetterHeaders.REASON), "reason of reject " + i);
      assertEquals(topics.samplesRaw().name(), DeadLetterHeaders.read(got.headers(), DeadLetterHeaders.SOURCE_TOPIC));
      assertEquals("0", DeadLetterHeaders.read(got.headers(), DeadLetterHeaders.SOURCE_PARTITION));
      assertEquals(Long.toString(want.offset()), DeadLetterHeaders.read(got.headers(), DeadLetterHeaders.SOURCE_OFFSET));
      assertTrue(!DeadLetterHeaders.read(got.headers(), DeadLetterHeaders.DETAIL).isBlank(), "detail of reject " + i);
    }
    assertEquals("tensor.data is 700 bytes but shape [1, 28, 28] of uint8 needs 784",
        detailOf(dead, RejectReason.SHAPE_MISMATCH));
    assertEquals("tensor element 17 is NaN", detailOf(dead, RejectReason.NON_FINITE));
    assertTrue(detailOf(dead, RejectReason.DUPLICATE_ID).startsWith("sample id 'a' was already accepted at " + T0.toEpochMilli()));
    assertTrue(samples.isEmpty());
    assertTrue(dlq.isEmpty());

    String raw = topics.samplesRaw().name();
    assertEquals(3.0, registry.get(IngestMetrics.VALIDATED).tag("topic", raw).counter().count());
    Map<String, Double> expectedRejects = Map.of(
        "not-json", 2.0, "missing-field", 1.0, "unknown-dtype", 1.0, "shape-mismatch", 1.0, "non-finite", 1.0,
        "too-large", 1.0, "unsupported-schema", 1.0, "invalid-field", 2.0, "duplicate-id", 1.0);
    for (var e : expectedRejects.entrySet()) {
      assertEquals(e.getValue(), registry.get(IngestMetrics.REJECTED).tags("topic", raw, "reason", e.getKey()).counter().count(), e.getKey());
    }
    assertEquals(11.0, registry.get(IngestMetrics.REJECTED).counters().stream().mapToDouble(c -> c.count()).sum());
  }

  private static String detailOf(List<TestRecord<String, byte[]>> dead, RejectReason reason) {
    return dead.stream()
        .filter(r -> reason.code().equals(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON)))
        .map(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.DETAIL))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void duplicateInsideTheWindowIsRejectedOutsideItPasses() {
    Sample s = events.sample("dup", 1);
    byte[] bytes = events.encode(s);
    samplesRaw.pipeInput(new TestRecord<>("dup", bytes, T0));
    // Just inside the window: duplicate.
    samplesRaw.pipeInput(new TestRecord<>("dup", bytes, T0.plus(WINDOW).minusMillis(1)));
    // Exactly one window after the accepted one: passes, and becomes the new reference.
    samplesRaw.pipeInput(new TestRecord<>("dup", bytes, T0.plus(WINDOW)));
    // Inside the new window: duplicate again.
    samplesRaw.pipeInput(new TestRecord<>("dup", bytes, T0.plus(WINDOW).plusSeconds(10)));
    // Another id at the same time is not a duplicate.
    samplesRaw.pipeInput(new TestRecord<>("other", events.encode(events.sample("other", 2)), T0.plus(WINDOW)));

    List<TestRecord<String, Sample>> out = samples.readRecordsToList();
    assertEquals(List.of("dup", "dup", "other"), out.stream().map(TestRecord::key).toList());
    assertEquals(List.of(T0, T0.plus(WINDOW), T0.plus(WINDOW)), out.stream().map(TestRecord::getRecordTime).toList());
    List<TestRecord<String, byte[]>> dead = dlq.readRecordsToList();
    assertEquals(List.of("1", "3"), dead.stream().map(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_OFFSET)).toList());
    for (TestRecord<String, byte[]> r : dead) {
      assertEquals("duplicate-id", DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON));
      assertArrayEquals(bytes, r.value());
    }
    assertTrue(samples.isEmpty());
    assertTrue(dlq.isEmpty());
  }

  @Test
  void feedbackIsValidatedKeyedBySampleIdAndNeverDeduplicated() {
    Feedback fb = Feedback.of("s-1", 7, "annotator-3", 1_732_350_060_000L);
    byte[] ok = new EventCodec().encode(fb);
    feedbackRaw.pipeInput(new TestRecord<>("wrong-key", ok, T0));
    feedbackRaw.pipeInput(new TestRecord<>("s-1", ok, T0));
    feedbackRaw.pipeInput(new TestRecord<>("sample-000001", RawEvents.utf8(RawEvents.HAND_WRITTEN_FEEDBACK), T0));
    byte[] notJson = RawEvents.utf8("label=7");
    byte[] noLabel = RawEvents.utf8("{\"schemaVersion\":1,\"sampleId\":\"s-2\",\"source\":\"x\",\"timestamp\":1}");
    byte[] negative = RawEvents.utf8("{\"schemaVersion\":1,\"sampleId\":\"s-3\",\"label\":-1,\"source\":\"x\",\"timestamp\":1}");
    byte[] future = RawEvents.utf8("{\"schemaVersion\":9,\"sampleId\":\"s-4\",\"label\":1,\"source\":\"x\",\"timestamp\":1}");
    byte[] huge = RawEvents.utf8("{\"schemaVersion\":1,\"sampleId\":\"s-5\",\"label\":1,\"source\":\"" + "y".repeat(MAX_BYTES) + "\",\"timestamp\":1}");
    RecordHeaders producerHeaders = new RecordHeaders();
    producerHeaders.add("trace", RawEvents.utf8("abc"));
    producerHeaders.add(DeadLetterHeaders.REASON, RawEvents.utf8("stale"));
    feedbackRaw.pipeInput(new TestRecord<>("k1", notJson, producerHeaders, T0));
    feedbackRaw.pipeInput(new TestRecord<>("k2", noLabel, T0));
    feedbackRaw.pipeInput(new TestRecord<>("k3", negative, T0));
    feedbackRaw.pipeInput(new TestRecord<>("k4", future, T0));
    feedbackRaw.pipeInput(new TestRecord<>("k5", huge, T0));

    List<TestRecord<String, Feedback>> out = feedback.readRecordsToList();
    assertEquals(List.of("s-1", "s-1", "sample-000001"), out.stream().map(TestRecord::key).toList());
    assertEquals(fb, out.get(0).value());
    assertEquals(fb, out.get(1).value());
    assertEquals(Feedback.of("sample-000001", 7, "annotator-3", 1732350060000L), out.get(2).value());

    List<TestRecord<String, byte[]>> dead = dlq.readRecordsToList();
    assertEquals(List.of("k1", "k2", "k3", "k4", "k5"), dead.stream().map(TestRecord::key).toList());
    assertEquals(List.of("not-json", "missing-field", "invalid-field", "unsupported-schema", "too-large"),
        dead.stream().map(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON)).toList());
    assertEquals(List.of("3", "4", "5", "6", "7"),
        dead.stream().map(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_OFFSET)).toList());
    assertArrayEquals(notJson, dead.get(0).value());
    assertArrayEquals(huge, dead.get(4).value());
    // Producer headers survive; a stale DLQ header is replaced, not duplicated.
    assertEquals("abc", DeadLetterHeaders.read(dead.get(0).headers(), "trace"));
    assertEquals(1, dead.get(0).headers().toArray().length - 5);
    assertEquals("'label' must be >= 0", DeadLetterHeaders.read(dead.get(2).headers(), DeadLetterHeaders.DETAIL));
    assertEquals(topics.feedbackRaw().name(), DeadLetterHeaders.read(dead.get(0).headers(), DeadLetterHeaders.SOURCE_TOPIC));
    assertTrue(feedback.isEmpty());
    assertTrue(dlq.isEmpty());
    assertTrue(samples.isEmpty());

    String raw = topics.feedbackRaw().name();
    assertEquals(3.0, registry.get(IngestMetrics.VALIDATED).tag("topic", raw).counter().count());
    assertEquals(5.0, registry.get(IngestMetrics.REJECTED).tag("topic", raw).counters().stream().mapToDouble(c -> c.count()).sum());
    assertNull(registry.find(IngestMetrics.VALIDATED).tag("topic", topics.samplesRaw().name()).counter());
  }

  @Test
  void aValueTooBigToCopyIsCutAndSaysSo() {
    byte[] huge = new byte[1_200_000];
    java.util.Arrays.fill(huge, (byte) '{');
    samplesRaw.pipeInput(new TestRecord<>("huge", huge, T0));
    samplesRaw.pipeInput(new TestRecord<>("edge", new byte[DeadLetterHeaders.MAX_VALUE_BYTES], T0));
    List<TestRecord<String, byte[]>> dead = dlq.readRecordsToList();
    assertEquals(2, dead.size());
    assertEquals("too-large", DeadLetterHeaders.read(dead.get(0).headers(), DeadLetterHeaders.REASON));
    assertArrayEquals(java.util.Arrays.copyOf(huge, DeadLetterHeaders.MAX_VALUE_BYTES), dead.get(0).value());
    assertEquals("1200000", DeadLetterHeaders.read(dead.get(0).headers(), DeadLetterHeaders.TRUNCATED_FROM));
    // At the limit: copied whole, no truncation header.
    assertEquals(DeadLetterHeaders.MAX_VALUE_BYTES, dead.get(1).value().length);
    assertNull(DeadLetterHeaders.read(dead.get(1).headers(), DeadLetterHeaders.TRUNCATED_FROM));
    assertTrue(dlq.isEmpty());
  }

  @Test
  void configRejectsBadValuesNamingTheField() {
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", "127.0.0.1:9");
    var e = assertThrows(IllegalArgumentException.class,
        () -> new IngestConfig("ingest", kafka, 0, WINDOW, stateDir, Duration.ofSeconds(1)));
    assertEquals("maxSampleBytes must be > 0, got 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new IngestConfig("ingest", kafka, 10, Duration.ZERO, stateDir, Duration.ofSeconds(1)));
    assertEquals("dedupeWindow must be > 0, got PT0S", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new IngestConfig("in gest", kafka, 10, WINDOW, stateDir, Duration.ofSeconds(1)));
    assertTrue(e.getMessage().startsWith("applicationId 'in gest'"));
    e = assertThrows(IllegalArgumentException.class,
        () -> new IngestConfig("ingest", new Properties(), 10, WINDOW, stateDir, Duration.ofSeconds(1)));
    assertEquals("kafka 'bootstrap.servers' must be set, got null", e.getMessage());
  }
}
