package dev.osprey.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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

class LabelJoinTopologyTest {
  private static final Duration WINDOW = Duration.ofHours(1);
  private static final long W = WINDOW.toMillis();
  private static final long T0 = 1_732_350_000_000L;

  @TempDir Path stateDir;

  private final EventCodec codec = new EventCodec();
  private final Topics topics = new Topics("t1.", codec);
  private SimpleMeterRegistry meters;
  private TopologyTestDriver driver;
  private TestInputTopic<String, Sample> samples;
  private TestInputTopic<String, Prediction> predictions;
  private TestInputTopic<String, Feedback> feedback;
  private TestOutputTopic<String, LabeledSample> labeled;
  private TestOutputTopic<String, Outcome> outcomes;
  private TestOutputTopic<String, byte[]> dlq;

  @BeforeEach
  void setUp() {
    meters = new SimpleMeterRegistry();
    StreamsBuilder builder = new StreamsBuilder();
    LabelJoinTopology.build(builder, topics, WINDOW, new LabelJoinMetrics(meters));
    Properties props = new Properties();
    props.put("bootstrap.servers", "127.0.0.1:9");
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "join-test");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    driver = new TopologyTestDriver(builder.build(), props);
    samples = input(topics.samples());
    predictions = input(topics.predictions());
    feedback = input(topics.feedback());
    labeled = output(topics.labeled());
    outcomes = output(topics.outcomes());
    dlq = output(topics.dlq());
  }

  private <V> TestInputTopic<String, V> input(Topic<String, V> t) {
    return driver.createInputTopic(t.name(), t.keySerde().serializer(), t.valueSerde().serializer());
  }

  private <V> TestOutputTopic<String, V> output(Topic<String, V> t) {
    return driver.createOutputTopic(t.name(), t.keySerde().deserializer(), t.valueSerde().deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  private static Sample sample(String id, long ts) {
    return Sample.ofTensor(id, ts, Tensor.ofFloat32(new float[] {0.25f, 0.5f, 0.75f, 1f}, 1, 2, 2), Map.of());
  }

  private static Prediction prediction(String id, int version, long ts) {
    return new Prediction(Prediction.SCHEMA_VERSION, id, "digits", version, 1, "one", 0.7f, List.of(0.2f, 0.7f, 0.1f),
        null, "onnx-cpu", "int8", ts - 5, ts);
  }

  private static Feedback label(String id, int label, long ts) {
    return Feedback.of(id, label, "annotator-7", ts);
  }

  private void pipe(Sample s, long ts) {
    samples.pipeInput(new TestRecord<>(s.id(), s, null, ts));
  }

  private void pipe(Prediction p, long ts) {
    predictions.pipeInput(new TestRecord<>(p.sampleId(), p, null, ts));
  }

  private void pipe(Feedback f, long ts) {
    feedback.pipeInput(new TestRecord<>(f.sampleId(), f, null, ts));
  }

  private void assertAllRead() {
    assertTrue(labeled.isEmpty(), "labeled topic has more records");
    assertTrue(outcomes.isEmpty(), "outcomes topic has more records");
    assertTrue(dlq.isEmpty(), "dlq has more records");
  }

  private double count(String name, String tag, String value) {
    var c = meters.find(name).tag(tag, value).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void labelAfterSampleAndPredictionJoinsBoth() {
    Sample s = sample("a", T0);
    Prediction p = prediction("a", 3, T0 + 10);
    Feedback f = label("a", 2, T0 + 60_000);
    pipe(s, T0);
    pipe(p, T0 + 10);
    assertAllRead();
    pipe(f, T0 + 60_000);

    TestRecord<String, LabeledSample> l = labeled.readRecord();
    assertEquals("a", l.key());
    assertEquals(LabeledSample.of(s, f, T0 + 60_000), l.value());
    assertEquals(T0 + 60_000, l.timestamp());
    TestRecord<String, Outcome> o = outcomes.readRecord();
    assertEquals(Outcome.of(p, f, T0 + 60_000), o.value());
    assertEquals(2, o.value().actual());
    assertEquals(false, o.value().correct());
    assertEquals(0.1f, o.value().labelProbability());
    assertEquals(60_000 - 10, o.value().delayMillis());
    assertAllRead();
    assertEquals(1, count(LabelJoinMetrics.JOINED, "output", "labeled"));
    assertEquals(1, count(LabelJoinMetrics.JOINED, "output", "outcomes"));
    assertEquals(59.99, meters.find(LabelJoinMetrics.LABEL_DELAY).tag("output", "outcomes").summary().totalAmount(), 1e-9);
  }

  @Test
  void labelBeforeSampleAndPredictionJoinsEachAsItArrives() {
    Feedback f = label("b", 1, T0);
    Sample s = sample("b", T0 + 1000);
    Prediction p = prediction("b", 3, T0 + 2000);
    pipe(f, T0);
    assertAllRead();
    pipe(s, T0 + 1000);
    assertEquals(LabeledSample.of(s, f, T0 + 1000), labeled.readValue());
    assertAllRead();
    pipe(p, T0 + 2000);
    Outcome o = outcomes.readValue();
    assertEquals(Outcome.of(p, f, T0 + 2000), o);
    assertEquals(true, o.correct());
    assertEquals(-2000, o.delayMillis()); // the label came first
    assertAllRead();
  }

  @Test
  void labelBetweenSampleAndPredictionAndOnePerPredictingVersion() {
    Sample s = sample("c", T0);
    Feedback f = label("c", 1, T0 + 500);
    Prediction v3 = prediction("c", 3, T0 + 1000);
    Prediction v4 = prediction("c", 4, T0 + 1500);
    pipe(s, T0);
    pipe(f, T0 + 500);
    assertEquals(LabeledSample.of(s, f, T0 + 500), labeled.readValue());
    pipe(v3, T0 + 1000);
    pipe(v4, T0 + 1500);
    assertEquals(List.of(Outcome.of(v3, f, T0 + 1000), Outcome.of(v4, f, T0 + 1500)), outcomes.readValuesToList());
    // a sample repeated later does not produce a second labeled sample
    pipe(s, T0 + 2000);
    assertAllRead();
  }

  @Test
  void twoPredictionsWaitingForOneLabelBothScoreInOrder() {
    Prediction v3 = prediction("d", 3, T0);
    Prediction v4 = prediction("d", 4, T0 + 10);
    Feedback f = label("d", 0, T0 + 20);
    pipe(v3, T0);
    pipe(v4, T0 + 10);
    pipe(f, T0 + 20);
    assertEquals(List.of(Outcome.of(v3, f, T0 + 20), Outcome.of(v4, f, T0 + 20)), outcomes.readValuesToList());
    assertAllRead();
  }

  @Test
  void firstLabelWinsLaterOnesAreDeadLetteredAsDuplicateOrConflicting() {
    Feedback first = label("e", 1, T0);
    pipe(first, T0);
    pipe(label("e", 1, T0 + 100), T0 + 100);
    pipe(label("e", 2, T0 + 200), T0 + 200);
    List<TestRecord<String, byte[]>> dead = dlq.readRecordsToList();
    assertEquals(2, dead.size());
    assertEquals(RejectReason.DUPLICATE_LABEL.code(), header(dead.get(0), DeadLetterHeaders.REASON));
    assertEquals(RejectReason.CONFLICTING_LABEL.code(), header(dead.get(1), DeadLetterHeaders.REASON));
    assertEquals("e", dead.get(1).key());
    assertEquals(label("e", 2, T0 + 200), codec.decode(dead.get(1).value(), Feedback.class));
    assertEquals(topics.feedback().name(), header(dead.get(1), DeadLetterHeaders.SOURCE_TOPIC));
    assertEquals("2", header(dead.get(1), DeadLetterHeaders.SOURCE_OFFSET));
    // the sample and prediction that come afterwards join the first label
    Sample s = sample("e", T0 + 300);
    Prediction p = prediction("e", 3, T0 + 400);
    pipe(s, T0 + 300);
    pipe(p, T0 + 400);
    assertEquals(LabeledSample.of(s, first, T0 + 300), labeled.readValue());
    assertEquals(Outcome.of(p, first, T0 + 400), outcomes.readValue());
    assertAllRead();
    assertEquals(1, count(LabelJoinMetrics.LABELS, "result", "first"));
    assertEquals(1, count(LabelJoinMetrics.LABELS, "result", "duplicate"));
    assertEquals(1, count(LabelJoinMetrics.LABELS, "result", "conflicting"));
  }

  @Test
  void labelForAnIdNeverSeenIsDeadLetteredOnceTheWindowCloses() {
    Feedback orphan = label("ghost", 4, T0);
    pipe(orphan, T0);
    // stream time moves on, but not past the window: nothing yet
    pipe(sample("other", T0 + W), T0 + W);
    assertAllRead();
    // past the window: the orphan goes to the DLQ with its reason and source offset
    pipe(sample("other2", T0 + W + 60_001), T0 + W + 60_001);
    TestRecord<String, byte[]> dead = dlq.readRecord();
    assertEquals("ghost", dead.key());
    assertEquals(orphan, codec.decode(dead.value(), Feedback.class));
    assertEquals(RejectReason.UNMATCHED_LABEL.code(), header(dead, DeadLetterHeaders.REASON));
    assertEquals("0", header(dead, DeadLetterHeaders.SOURCE_OFFSET));
    assertTrue(header(dead, DeadLetterHeaders.DETAIL).contains("PT1H"));
    assertAllRead();
    assertEquals(1, count(LabelJoinMetrics.LABELS, "result", "unmatched"));
  }

  @Test
  void matchedLabelIsNotDeadLetteredAndLateLabelsDoNotJoinExpiredSamples() {
    Sample s = sample("f", T0);
    Prediction p = prediction("f", 3, T0);
    pipe(s, T0);
    pipe(p, T0);
    pipe(label("g", 0, T0 + 10), T0 + 10);
    pipe(sample("g", T0 + 20), T0 + 20);
    labeled.readRecord();
    // a label more than a window after the sample and the prediction: no join
    long late = T0 + W + 1;
    Feedback lateLabel = label("f", 1, late);
    pipe(lateLabel, late);
    assertAllRead();
    assertEquals(1, count(LabelJoinMetrics.UNLABELED, "kind", "prediction"));
    assertEquals(1, count(LabelJoinMetrics.UNLABELED, "kind", "sample"));
    // once its own window closes, the late label is unmatched; the matched one ("g") is not
    pipe(sample("h", late + W + 60_000), late + W + 60_000);
    TestRecord<String, byte[]> dead = dlq.readRecord();
    assertEquals("f", dead.key());
    assertEquals(RejectReason.UNMATCHED_LABEL.code(), header(dead, DeadLetterHeaders.REASON));
    assertAllRead();
  }

  @Test
  void labelOutsideThePredictingModelsClassesIsDeadLetteredAsInvalid() {
    Sample s = sample("i", T0);
    Prediction p = prediction("i", 3, T0);
    Feedback f = label("i", 7, T0 + 5);
    pipe(s, T0);
    pipe(p, T0);
    pipe(f, T0 + 5);
    assertEquals(LabeledSample.of(s, f, T0 + 5), labeled.readValue());
    TestRecord<String, byte[]> dead = dlq.readRecord();
    assertEquals(RejectReason.INVALID_FIELD.code(), header(dead, DeadLetterHeaders.REASON));
    assertTrue(header(dead, DeadLetterHeaders.DETAIL).contains("digits:3"));
    assertAllRead();
  }

  @Test
  void storesAreEmptyAfterEverythingLeftTheWindow() {
    pipe(sample("j", T0), T0);
    pipe(prediction("j", 3, T0), T0);
    pipe(label("j", 1, T0 + 1), T0 + 1);
    pipe(prediction("k", 3, T0 + 2), T0 + 2);
    labeled.readRecord();
    outcomes.readRecord();
    pipe(sample("z", T0 + 3 * W), T0 + 3 * W);
    for (String store : List.of(LabelJoinTopology.PREDICTIONS_STORE, LabelJoinTopology.LABELS_STORE)) {
      assertEquals(0, entries(store), store);
    }
    // only the last sample (still in its window) and its index entry remain
    assertEquals(1, entries(LabelJoinTopology.SAMPLES_STORE));
    assertEquals(1, entries(LabelJoinTopology.EXPIRY_STORE));
    assertAllRead();
  }

  private int entries(String store) {
    int n = 0;
    try (var it = driver.getKeyValueStore(store).all()) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }

  private static String header(TestRecord<String, byte[]> r, String name) {
    return DeadLetterHeaders.read(r.headers(), name);
  }
}
