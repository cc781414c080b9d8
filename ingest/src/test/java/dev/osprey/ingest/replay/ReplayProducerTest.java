package dev.osprey.ingest.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.data.ImageShifts;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.topic.Topics;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.ingest.IngestConfig;
import dev.osprey.ingest.IngestMetrics;
import dev.osprey.ingest.IngestTopology;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayProducerTest {
  private static final long START = 1_732_350_000_000L;
  private static ImageDataset train;
  private final Topics topics = Topics.defaults();
  private final EventCodec codec = new EventCodec();

  @BeforeAll
  static void load() throws IOException {
    train = new Datasets(Path.of("unused")).load("fixture:train");
  }

  private static ReplayConfig base(long seed) {
    return ReplayConfig.of("fixture:train", "run1", seed, START);
  }

  private List<ProducerRecord<String, byte[]>> replay(ReplayConfig config) {
    MockProducer<String, byte[]> producer =
        new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    new ReplayProducer(config, topics, train).run(producer);
    return producer.history();
  }

  private static String sha256(List<ProducerRecord<String, byte[]>> records) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (ProducerRecord<String, byte[]> r : records) {
      md.update(r.topic().getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(String.valueOf(r.key()).getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(Long.toString(r.timestamp()).getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(r.value());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  @Test
  void sameSeedGivesTheSameStreamByteForByte() throws Exception {
    ReplayConfig c = base(42).withLimit(400)
        .withDrifts(DriftSpec.parseAll(List.of("noise:0.2@100", "rotate:15@200", "skew:3=0.3@50", "withhold:1@0-300")))
        .withFeedback(0.4, 7)
        .withJunk(45, 9000);
    List<ProducerRecord<String, byte[]>> a = replay(c);
    List<ProducerRecord<String, byte[]>> b = replay(c);
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).topic(), b.get(i).topic());
      assertEquals(a.get(i).key(), b.get(i).key());
      assertEquals(a.get(i).timestamp(), b.get(i).timestamp());
      assertArrayEquals(a.get(i).value(), b.get(i).value(), "record " + i);
    }
    // Golden digest: pins the stream across JVM runs (attribute order, RNG algorithms, encoding).
    assertEquals(GOLDEN_SHA256, sha256(a));
    assertNotEquals(sha256(a), sha256(replay(new ReplayConfig(c.dataset(), c.runId(), c.limit(), c.rate(), 43,
        c.drifts(), c.feedbackFraction(), c.feedbackDelay(), c.junk(), c.junkTooLargeBytes(), c.startMillis(), false))));
  }

  static final String GOLDEN_SHA256 = "27b826b072fe6179381296742099103e7c363fd0b1fa5cd5787e0858f7d95e3f";

  @Test
  void samplesAreTheDatasetInOrderWithoutTheirLabelAndFeedbackFollowsTheDelay() {
    int n = 500;
    int delay = 7;
    List<ProducerRecord<String, byte[]>> out = replay(base(1).withLimit(n).withFeedback(0.3, delay));
    Map<String, Integer> samplePos = new HashMap<>();
    List<Feedback> feedback = new ArrayList<>();
    List<Integer> feedbackPos = new ArrayList<>();
    for (int p = 0; p < out.size(); p++) {
      ProducerRecord<String, byte[]> r = out.get(p);
      if (r.topic().equals(topics.samplesRaw().name())) {
        int i = samplePos.size();
        Sample s = codec.decode(r.value(), Sample.class);
        assertEquals("run1-" + i, s.id());
        assertEquals(s.id(), r.key());
        assertEquals(START + i, s.timestamp());
        assertEquals(START + i, r.timestamp());
        assertEquals(List.of(1, 28, 28), s.tensor().shape());
        assertArrayEquals(train.image(i), s.tensor().data());
        assertEquals(Map.of("source", "replay", "dataset", "fixture:train", "run", "run1"), s.attributes());
        assertFalse(new String(r.value(), StandardCharsets.UTF_8).contains("label"));
        samplePos.put(s.id(), p);
      } else {
        assertEquals(topics.feedbackRaw().name(), r.topic());
        Feedback f = codec.decode(r.value(), Feedback.class);
        assertEquals(f.sampleId(), r.key());
        feedback.add(f);
        feedbackPos.add(p);
      }
    }
    assertEquals(n, samplePos.size());
    // 30% of 500 = 150, binomial sd 10.2: within 4.5 sd.
    assertTrue(Math.abs(feedback.size() - 150) <= 46, "feedback count " + feedback.size());
    for (int k = 0; k < feedback.size(); k++) {
      Feedback f = feedback.get(k);
      int i = Integer.parseInt(f.sampleId().substring("run1-".length()));
      assertEquals(train.label(i), f.label(), "true label of " + f.sampleId());
      assertEquals(ReplayStream.FEEDBACK_SOURCE, f.source());
      int after = Math.min(i + delay, n - 1);
      // Sent after sample i + delay, and before the next sample.
      assertTrue(feedbackPos.get(k) > samplePos.get("run1-" + after), f.sampleId());
      if (i + delay + 1 < n) {
        assertTrue(feedbackPos.get(k) < samplePos.get("run1-" + (i + delay + 1)), f.sampleId());
      }
      assertEquals(START + after, f.timestamp());
    }
  }

  /** True labels of every sample, via feedback for all of them. */
  private List<Integer> labelsOf(ReplayConfig c) {
    List<Integer> labels = new ArrayList<>();
    for (ProducerRecord<String, byte[]> r : replay(c.withFeedback(1.0, 0))) {
      if (r.topic().equals(topics.feedbackRaw().name())) {
        labels.add(codec.decode(r.value(), Feedback.class).label());
      }
    }
    return labels;
  }

  @Test
  void withholdAndSkewChangeTheClassPriors() {
    List<Integer> held = labelsOf(base(5).withLimit(2000).withDrifts(List.of(DriftSpec.parse("withhold:7@0-1000"))));
    assertEquals(2000, held.size());
    assertEquals(0, held.subList(0, 1000).stream().filter(l -> l == 7).count());
    long sevensAfter = held.subList(1000, 2000).stream().filter(l -> l == 7).count();
    assertTrue(sevensAfter >= 70 && sevensAfter <= 140, "sevens after release " + sevensAfter);

    List<Integer> skewed = labelsOf(base(5).withLimit(2000).withDrifts(List.of(DriftSpec.parse("skew:3=0.5@1000"))));
    long threesBefore = skewed.subList(0, 1000).stream().filter(l -> l == 3).count();
    long threesAfter = skewed.subList(1000, 2000).stream().filter(l -> l == 3).count();
    assertTrue(threesBefore >= 70 && threesBefore <= 140, "threes before skew " + threesBefore);
    // Binomial(1000, 0.5): sd 15.8, 4.5 sd = 71.
    assertTrue(Math.abs(threesAfter - 500) <= 71, "threes under skew " + threesAfter);

    var e = assertThrows(IllegalArgumentException.class,
        () -> new ReplayProducer(base(5).withDrifts(List.of(DriftSpec.parse("skew:12=0.5"))), topics, train).stream());
    assertEquals("drift 'skew:12=0.5@0': class 12 is not in fixture:train (0..9)", e.getMessage());
  }

  @Test
  void imageDriftsApplyFromTheirStartIndex() {
    List<ProducerRecord<String, byte[]>> out =
        replay(base(3).withLimit(20).withDrifts(DriftSpec.parseAll(List.of("rotate:90@5-10", "invert@8"))));
    for (int i = 0; i < 20; i++) {
      byte[] px = codec.decode(out.get(i).value(), Sample.class).tensor().data();
      byte[] want = train.image(i);
      if (i >= 5 && i < 10) {
        want = ImageShifts.rotate(want, 28, 28, 90);
      }
      if (i >= 8) {
        want = ImageShifts.invert(want);
      }
      assertArrayEquals(want, px, "sample " + i);
    }
  }

  @Test
  void everyJunkRecordIsRejectedByIngestWithItsIntendedReason(@TempDir Path stateDir) {
    int n = 300;
    int junk = 90;
    ReplayConfig c = base(9).withLimit(n).withFeedback(0.2, 3).withJunk(junk, 20_000);
    List<ReplayRecord> records = new ArrayList<>();
    new ReplayProducer(c, topics, train).stream().forEachRemaining(records::add);

    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", "127.0.0.1:9");
    IngestConfig config = new IngestConfig("replay-test", kafka, 16 * 1024, Duration.ofMinutes(10), stateDir, Duration.ofSeconds(5));
    StreamsBuilder builder = new StreamsBuilder();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    IngestTopology.build(builder, topics, config, new IngestMetrics(registry));
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "replay-test");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
      TestInputTopic<String, byte[]> samplesIn = driver.createInputTopic(topics.samplesRaw().name(),
          new StringSerializer(), new ByteArraySerializer());
      TestInputTopic<String, byte[]> feedbackIn = driver.createInputTopic(topics.feedbackRaw().name(),
          new StringSerializer(), new ByteArraySerializer());
      List<RejectReason> expected = new ArrayList<>();
      int feedbackCount = 0;
      for (ReplayRecord r : records) {
        var tr = new TestRecord<>(r.key(), r.value(), java.time.Instant.ofEpochMilli(r.timestamp()));
        if (r.kind() == ReplayRecord.Kind.FEEDBACK) {
          feedbackIn.pipeInput(tr);
          feedbackCount++;
        } else {
          samplesIn.pipeInput(tr);
          if (r.kind() == ReplayRecord.Kind.JUNK) {
            expected.add(r.junkReason());
          }
        }
      }
      var samples = driver.createOutputTopic(topics.samples().name(),
          topics.samples().keySerde().deserializer(), topics.samples().valueSerde().deserializer()).readKeyValuesToList();
      var dlq = driver.createOutputTopic(topics.dlq().name(),
          topics.dlq().keySerde().deserializer(), topics.dlq().valueSerde().deserializer()).readRecordsToList();
      var fb = driver.createOutputTopic(topics.feedback().name(),
          topics.feedback().keySerde().deserializer(), topics.feedback().valueSerde().deserializer()).readKeyValuesToList();
      assertEquals(n, samples.size());
      assertEquals(n, samples.stream().map(kv -> kv.key).collect(java.util.stream.Collectors.toSet()).size());
      assertEquals(junk, dlq.size());
      assertEquals(expected.stream().map(RejectReason::code).toList(),
          dlq.stream().map(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON)).toList());
      assertEquals(feedbackCount, fb.size());
      // 90 junk records cycle through the 9 kinds: 10 each.
      for (RejectReason reason : JunkRecords.KINDS) {
        assertEquals(10, JunkRecords.count(junk, reason));
        assertEquals(10.0, registry.get(IngestMetrics.REJECTED).tag("reason", reason.code()).counter().count(), reason.code());
      }
      assertEquals(Set.copyOf(JunkRecords.KINDS), Set.copyOf(expected));
    }
  }

  @Test
  void junkCountsSplitEvenlyWithTheRemainderFirst() {
    assertEquals(112, JunkRecords.count(1000, RejectReason.NOT_JSON));
    assertEquals(111, JunkRecords.count(1000, RejectReason.MISSING_FIELD));
    assertEquals(111, JunkRecords.count(1000, RejectReason.INVALID_FIELD));
    assertEquals(1000, JunkRecords.KINDS.stream().mapToInt(r -> JunkRecords.count(1000, r)).sum());
    assertEquals(0, JunkRecords.count(1000, RejectReason.INCOMPATIBLE_INPUT));
  }

  @Test
  void rateIsAFloorOnTheDuration() {
    // 50 samples at 200/s: sample 49 is due 245 ms after the start.
    MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    ReplayProducer.Summary s = new ReplayProducer(base(2).withLimit(50).withRate(200), topics, train).run(producer);
    assertEquals(50, s.samples());
    assertTrue(s.elapsed().toMillis() >= 245, "elapsed " + s.elapsed());
    assertEquals(START + 49 * 5, producer.history().get(49).timestamp());
  }

  @Test
  void configRejectsBadValuesNamingTheField() {
    assertEquals("rate must be finite and >= 0, got -1.0",
        assertThrows(IllegalArgumentException.class, () -> base(1).withRate(-1)).getMessage());
    assertEquals("feedbackFraction must be in [0, 1], got 1.5",
        assertThrows(IllegalArgumentException.class, () -> base(1).withFeedback(1.5, 0)).getMessage());
    assertEquals("runId 'a b' must be non-empty and use only [A-Za-z0-9._-]",
        assertThrows(IllegalArgumentException.class, () -> ReplayConfig.of("fixture:train", "a b", 1, 0)).getMessage());
  }
}
