package dev.osprey.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.service.DeadLetterHeaders;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.serving.ModelHolder;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.PredictorException;
import dev.osprey.model.serving.StubPredictor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The prediction loop in memory: Kafka's MockConsumer and MockProducer, a stub model whose answer
 * is the index of a sample's bright pixel, and the loop driven step by step on the test thread.
 */
@Timeout(60)
class PredictionLoopTest {
  private static final long NOW = 1_732_350_000_000L;
  private static final String GROUP = "dummy.group.id"; // MockConsumer's group metadata
  private static final EventCodec CODEC = new EventCodec();
  private static final Topics TOPICS = Topics.defaults();
  private static final String SAMPLES = TOPICS.samples().name();
  private static final TopicPartition P0 = new TopicPartition(SAMPLES, 0);
  private static final TopicPartition P1 = new TopicPartition(SAMPLES, 1);

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final InferenceMetrics metrics = new InferenceMetrics(meters);
  private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
  private final MockProducer<String, byte[]> producer =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
  private final ModelHolder holder = new ModelHolder();
  private final StubPredictor predictor = new StubPredictor();
  private PredictionLoop loop;
  // the pipelined loop's own clients (tests that start it)
  private final MockConsumer<String, byte[]> source = new MockConsumer<>("earliest");
  private final GatedProducer gated = new GatedProducer();
  private PredictionLoop pipelined;

  @BeforeEach
  void start() {
    holder.swap(StubPredictor.loaded(4, predictor));
    // batches of 4 that never fall due by time: only size (or stopping) hands a batch out
    InferenceConfig config = InferenceConfig.of("digits").withBatching(4, Duration.ofHours(1));
    loop = new PredictionLoop(config, TOPICS, CODEC, holder, metrics, Clock.fixed(Instant.ofEpochMilli(NOW + 50),
        ZoneOffset.UTC), consumer, producer, List.of(), Runnable::run);
    loop.initTransactions();
    loop.subscribe();
    consumer.rebalance(List.of(P0, P1));
    consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
  }

  @AfterEach
  void close() throws InterruptedException {
    gated.gate.countDown();
    if (pipelined != null) {
      pipelined.stop();
    }
    loop.stop();
    holder.close();
  }

  /** A 28x28 image whose only bright pixel is {@code bright}: the stub model predicts it when < 10. */
  private static Sample image(String id, int bright) {
    byte[] pixels = new byte[784];
    pixels[bright] = (byte) 255;
    return Sample.ofTensor(id, NOW, Tensor.ofUint8(pixels, 1, 28, 28), Map.of());
  }

  private void send(TopicPartition tp, long offset, String key, byte[] value) {
    consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), offset, key, value));
  }

  private void send(TopicPartition tp, long offset, Sample s) {
    send(tp, offset, s.id(), CODEC.encode(s));
  }

  private List<Prediction> predictions() {
    return producer.history().stream().filter(r -> r.topic().equals(TOPICS.predictions().name()))
        .map(r -> CODEC.decode(r.value(), Prediction.class)).toList();
  }

  /** The sample position header of each prediction written, by sample id. */
  private Map<String, SamplePosition> samplePositions() {
    return producer.history().stream().filter(r -> r.topic().equals(TOPICS.predictions().name()))
        .collect(Collectors.toMap(ProducerRecord::key, r -> SamplePosition.of(r.headers())));
  }

  private List<ProducerRecord<String, byte[]>> deadLetters() {
    return producer.history().stream().filter(r -> r.topic().equals(TOPICS.dlq().name())).toList();
  }

  private double count(String name, String tag, String value) {
    var c = meters.find(name).tag(tag, value).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void recordsWaitForAFullBatchThenCommitWithTheirOffsetsInOneTransaction() {
    send(P0, 0, image("a", 3));
    send(P0, 1, image("b", 7));
    send(P1, 0, image("c", 0));
    loop.step();
    assertEquals(0, predictor.calls.get(), "3 of 4: not due yet");
    assertFalse(producer.transactionInFlight());

    send(P1, 1, image("d", 9));
    loop.step();

    assertEquals(1, predictor.calls.get(), "one model call for the batch");
    // MockConsumer hands partitions out in no set order; within a partition, order is kept
    assertEquals(List.of("a:3", "b:7", "c:0", "d:9"),
        predictions().stream().map(p -> p.sampleId() + ":" + p.label()).sorted().toList());
    Prediction a = predictions().stream().filter(p -> p.sampleId().equals("a")).findFirst().orElseThrow();
    assertEquals("digits", a.modelName());
    assertEquals(4, a.modelVersion());
    assertEquals("onnx-cpu", a.runtime());
    assertEquals(NOW, a.sampleTimestamp());
    assertEquals(NOW + 50, a.timestamp());
    // each prediction says where its sample was read (the explain service fetches just that record)
    assertEquals(Map.of("a", new SamplePosition(0, 0), "b", new SamplePosition(0, 1), "c", new SamplePosition(1, 0),
        "d", new SamplePosition(1, 1)), samplePositions());
    assertEquals(1, producer.commitCount());
    assertEquals(List.of(Map.of(GROUP, Map.of(P0, new OffsetAndMetadata(2), P1, new OffsetAndMetadata(2)))),
        producer.consumerGroupOffsetsHistory());
    assertEquals(1, count(InferenceMetrics.TRANSACTIONS, "outcome", "committed"));
    assertEquals(1, meters.get(InferenceMetrics.PREPROCESS_LATENCY).timer().count());
    assertEquals(1, meters.get(InferenceMetrics.POSTPROCESS_LATENCY).timer().count());
    assertEquals(1, meters.get(InferenceMetrics.MODEL_LATENCY).timer().count());
    assertEquals(4.0, meters.get(InferenceMetrics.BATCH_SIZE).summary().totalAmount());
  }

  /**
   * The model calls' CPU time is counted beside their wall time: a call that burns 20 ms of its
   * thread's CPU adds at least that, and never more than the call's wall time.
   */
  @Test
  void theModelCallsCpuTimeIsCountedAndBoundedByTheirWallTime() {
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    org.junit.jupiter.api.Assumptions.assumeTrue(threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled());
    long burn = 20_000_000L;
    StubPredictor stub = new StubPredictor();
    Predictor busy = new Predictor() {
      @Override
      public Predictions predict(float[] normalizedBatch, int batchSize) throws PredictorException {
        long until = threads.getCurrentThreadCpuTime() + burn;
        while (threads.getCurrentThreadCpuTime() < until) {
          Thread.onSpinWait();
        }
        return stub.predict(normalizedBatch, batchSize);
      }

      @Override
      public int sampleSize() {
        return stub.sampleSize();
      }

      @Override
      public dev.osprey.model.runtime.RuntimeKind activeRuntime() {
        return stub.activeRuntime();
      }

      @Override
      public boolean isThreadSafe() {
        return true;
      }

      @Override
      public void close() {
        stub.close();
      }
    };
    holder.swap(StubPredictor.loaded(5, busy));
    for (int i = 0; i < 12; i++) {
      send(P0, i, image("s" + i, i % 10));
    }
    for (int round = 0; round < 3; round++) {
      loop.step(); // transactions of 1 and 2 model batches of 4
    }
    assertEquals(12, predictions().size());
    double cpu = meters.get(InferenceMetrics.MODEL_CPU).counter().count();
    double wall = meters.get(InferenceMetrics.MODEL_LATENCY).timer().totalTime(java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(3, meters.get(InferenceMetrics.MODEL_LATENCY).timer().count());
    assertTrue(cpu >= 3 * burn / 1e9, "cpu " + cpu);
    assertTrue(cpu <= wall + 1e-6, "cpu " + cpu + " <= wall " + wall);
  }

  @Test
  void transactionsStartSmallAfterAStartAndDoubleWithABacklog() {
    for (int i = 0; i < 100; i++) {
      send(P0, i, image("s" + i, i % 10));
    }
    for (int round = 0; round < 5; round++) {
      loop.step(); // the first poll brings all 100; later steps take the rest without waiting
    }
    assertEquals(List.of(4L, 12L, 28L, 60L, 100L), producer.consumerGroupOffsetsHistory().stream()
        .map(m -> m.get(GROUP).get(P0).offset()).toList(), "1, 2, 4, 8, then the last 10 model batches of 4");
    assertEquals(100, predictions().size());
    assertEquals(100, predictions().stream().map(Prediction::sampleId).distinct().count(), "each once");
  }

  @Test
  void badRecordsGoToTheDeadLetterTopicInTheBatchTransaction() {
    send(P0, 0, image("ok", 2));
    send(P0, 1, "junk", "{not json".getBytes(StandardCharsets.UTF_8));
    Sample wrongShape = Sample.ofTensor("small", NOW, Tensor.ofUint8(new byte[4], 1, 2, 2), Map.of());
    send(P0, 2, wrongShape);
    send(P1, 0, image("poison", 783)); // the stub engine fails on this one alone
    loop.step();

    assertEquals(List.of("ok"), predictions().stream().map(Prediction::sampleId).toList());
    assertEquals(Map.of("ok", new SamplePosition(0, 0)), samplePositions());
    List<ProducerRecord<String, byte[]>> dead = deadLetters();
    assertEquals(List.of("poison", "junk", "small"), dead.stream().map(ProducerRecord::key).toList());
    assertEquals(List.of("model-error", "not-json", "incompatible-input"),
        dead.stream().map(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON)).toList());
    assertEquals(List.of("1", "0", "0"),
        dead.stream().map(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_PARTITION)).toList());
    assertEquals(List.of("0", "1", "2"),
        dead.stream().map(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_OFFSET)).toList());
    assertEquals("{not json", new String(dead.get(1).value(), StandardCharsets.UTF_8), "the original bytes");
    assertTrue(DeadLetterHeaders.read(dead.get(0).headers(), DeadLetterHeaders.DETAIL)
        .startsWith("model digits:4 failed on this sample: cannot take row 0"));
    assertEquals(List.of(Map.of(GROUP, Map.of(P0, new OffsetAndMetadata(3), P1, new OffsetAndMetadata(1)))),
        producer.consumerGroupOffsetsHistory(), "dead-lettered records are consumed too");
    assertEquals(1, producer.commitCount());
    assertEquals(1, count(InferenceMetrics.DEAD_LETTERS, "reason", "model-error"));
    assertEquals(1, count(InferenceMetrics.DEAD_LETTERS, "reason", "not-json"));
    assertEquals(1, count(InferenceMetrics.DEAD_LETTERS, "reason", "incompatible-input"));
    assertEquals(3, predictor.calls.get(), "the batch, then row by row: 'ok' and 'poison'");
  }

  /**
   * A transaction of several model batches is decoded a batch ahead on the decoder thread: rows
   * rejected in one chunk do not shift another's, and predictions, dead letters and offsets come
   * out as from one pass.
   */
  @Test
  void aBacklogDecodedAheadChunkByChunkKeepsEveryRowInPlace() {
    int warm = 4 + 8 + 16; // the ramp: transactions of 1, 2 and 4 model batches of 4
    for (int offset = 0; offset < warm; offset++) {
      send(P0, offset, image("w" + offset, offset % 10));
    }
    for (int i = 0; i < 3; i++) {
      loop.step();
    }
    assertEquals(warm, predictions().size());
    // the fourth: 8 model batches, decoded ahead; bad records in the first, a middle and the last chunk
    int ahead = PredictionLoop.DECODE_AHEAD_MODEL_BATCHES * 4;
    List<String> expected = new ArrayList<>();
    for (int offset = warm; offset < warm + ahead; offset++) {
      switch (offset - warm) {
        case 1 -> send(P0, offset, "junk", "{not json".getBytes(StandardCharsets.UTF_8));
        case 13 -> send(P0, offset, Sample.ofTensor("small", NOW, Tensor.ofUint8(new byte[4], 1, 2, 2), Map.of()));
        case 14 -> send(P0, offset, "junk2", "[]".getBytes(StandardCharsets.UTF_8));
        case 30 -> send(P0, offset, image("poison", 783));
        default -> {
          send(P0, offset, image("s" + offset, offset % 10));
          expected.add("s" + offset);
        }
      }
    }
    loop.step();
    List<Prediction> predicted = predictions().subList(warm, predictions().size());
    assertEquals(expected, predicted.stream().map(Prediction::sampleId).toList(), "in record order");
    for (Prediction p : predicted) {
      int offset = Integer.parseInt(p.sampleId().substring(1));
      assertEquals(offset % 10, p.label(), p.sampleId() + " scored on its own row");
      assertEquals(new SamplePosition(0, offset), samplePositions().get(p.sampleId()));
    }
    assertEquals(List.of("poison", "junk", "small", "junk2"), deadLetters().stream().map(ProducerRecord::key).toList(),
        "the model's, then the decoder's, each in record order");
    assertEquals(List.of(4L, 12L, 28L, 60L), producer.consumerGroupOffsetsHistory().stream()
        .map(m -> m.get(GROUP).get(P0).offset()).toList(), "one transaction each");
    assertEquals(warm / 4 + 8 + 4, predictor.calls.get(), "a call per model batch, then the poisoned one's 4 rows one by one");
  }

  @Test
  void aFailedTransactionIsAbortedAndTheBatchReadAgain() {
    for (int i = 0; i < 4; i++) {
      send(P0, 10 + i, image("s" + i, i));
    }
    consumer.updateBeginningOffsets(Map.of(P0, 10L));
    consumer.seek(P0, 10);
    producer.commitTransactionException = new KafkaException("broker said no");
    loop.step();

    assertTrue(producer.transactionAborted());
    assertEquals(List.of(), producer.history(), "nothing of the aborted transaction is visible");
    assertEquals(List.of(), producer.consumerGroupOffsetsHistory());
    assertEquals(10, consumer.position(P0), "rewound to the batch's first offset");
    assertEquals(1, count(InferenceMetrics.TRANSACTIONS, "outcome", "aborted"));

    producer.commitTransactionException = null;
    for (int i = 0; i < 4; i++) {
      send(P0, 10 + i, image("s" + i, i)); // what the broker delivers again from offset 10
    }
    loop.step();
    assertEquals(List.of("s0:0", "s1:1", "s2:2", "s3:3"),
        predictions().stream().map(p -> p.sampleId() + ":" + p.label()).toList());
    assertEquals(List.of(Map.of(GROUP, Map.of(P0, new OffsetAndMetadata(14)))), producer.consumerGroupOffsetsHistory());
    assertEquals(1, count(InferenceMetrics.TRANSACTIONS, "outcome", "committed"));
  }

  @Test
  void revokedPartitionsDropTheirBufferedRecordsUncommitted() {
    send(P0, 0, image("p0-a", 1));
    send(P0, 1, image("p0-b", 2));
    send(P1, 0, image("p1-a", 3));
    loop.step();
    consumer.rebalance(List.of(P1)); // P0 goes to another instance, which reads p0-a and p0-b again
    for (int i = 1; i <= 3; i++) {
      send(P1, i, image("p1-" + i, 4 + i));
    }
    loop.step();

    assertEquals(List.of("p1-a", "p1-1", "p1-2", "p1-3"), predictions().stream().map(Prediction::sampleId).toList());
    assertEquals(List.of(Map.of(GROUP, Map.of(P1, new OffsetAndMetadata(4)))), producer.consumerGroupOffsetsHistory());
  }

  @Test
  void httpRequestsJoinTheKafkaBatchAndAreAnsweredWithoutBeingProduced() throws Exception {
    send(P0, 0, image("kafka-0", 5));
    send(P0, 1, image("kafka-1", 6));
    CompletableFuture<List<Prediction>> http = loop.submit(List.of(image("http-0", 8), image("http-1", 1)));
    loop.step(); // the request woke the poll: it joins the buffer, the records come with the next poll
    assertFalse(http.isDone());
    loop.step();

    assertEquals(List.of("http-0:8", "http-1:1"), http.get(10, TimeUnit.SECONDS).stream().map(p -> p.sampleId() + ":" + p.label()).toList());
    assertEquals(List.of("kafka-0", "kafka-1"), predictions().stream().map(Prediction::sampleId).toList());
    assertEquals(1, predictor.calls.get(), "one model call for Kafka and HTTP rows");

    Sample wrongShape = Sample.ofTensor("small", NOW, Tensor.ofUint8(new byte[4], 1, 2, 2), Map.of());
    CompletableFuture<List<Prediction>> rejected = loop.submit(List.of(image("fine", 0), wrongShape));
    loop.submit(List.of(image("x", 1), image("y", 2)));
    loop.step();
    ExecutionException e = assertThrows(ExecutionException.class, () -> rejected.get(10, TimeUnit.SECONDS));
    PredictRequests.RejectedSampleException r = assertInstanceOf(PredictRequests.RejectedSampleException.class, e.getCause());
    assertEquals(1, r.index());
    assertEquals("incompatible-input", r.reject().reason().code());
  }

  @Test
  void aFencedProducerStopsTheLoopWithoutCommitting() {
    for (int i = 0; i < 4; i++) {
      send(P0, i, image("f" + i, i));
    }
    producer.fenceProducer();
    assertThrows(ProducerFencedException.class, loop::step);
    assertEquals(List.of(), producer.history());
    assertEquals(List.of(), producer.consumerGroupOffsetsHistory());
  }

  @Test
  void requestsFailWhenNoModelServesOrTheLoopStopped() throws Exception {
    holder.swap(null);
    ExecutionException none = assertThrows(ExecutionException.class,
        () -> loop.submit(List.of(image("h", 1))).get());
    assertEquals("no model loaded yet", none.getCause().getMessage());
    loop.stop();
    ExecutionException stopped = assertThrows(ExecutionException.class,
        () -> loop.submit(new ArrayList<>(List.of(image("h", 1)))).get());
    assertEquals("the prediction loop is stopped", stopped.getCause().getMessage());
    assertTrue(consumer.closed());
    assertTrue(producer.closed());
  }

  /** A MockProducer whose commits wait at a gate, so a transaction stays in flight as long as a test wants. */
  private static final class GatedProducer extends MockProducer<String, byte[]> {
    final java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);

    GatedProducer() {
      super(true, null, new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public void commitTransaction() {
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      super.commitTransaction();
    }
  }

  /** A loop whose commits run on their own thread, as in the service, over its own consumer and gated producer. */
  private PredictionLoop startPipelined() {
    pipelined = new PredictionLoop(InferenceConfig.of("digits").withBatching(4, Duration.ofHours(1)), TOPICS,
        CODEC, holder, metrics, Clock.fixed(Instant.ofEpochMilli(NOW + 50), ZoneOffset.UTC), source, gated, List.of(),
        CommitPipeline.committerThread("test"));
    pipelined.initTransactions();
    pipelined.subscribe();
    source.rebalance(List.of(P0, P1));
    source.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
    return pipelined;
  }

  private void sendTo(TopicPartition tp, long offset, Sample s) {
    source.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), offset, s.id(), CODEC.encode(s)));
  }

  private List<String> gatedIds() {
    return gated.history().stream().filter(r -> r.topic().equals(TOPICS.predictions().name())).map(ProducerRecord::key).toList();
  }

  /**
   * Batch A (a0..a3 on P0) handed to the committer, its commit held at the gate; then batch B (b0..b3
   * at offsets {@code bFrom..} of {@code bOn}) polled and scored on another thread, which then waits
   * for A. Returns that thread's step.
   */
  private CompletableFuture<Void> aInFlightWhileBIsScored(PredictionLoop p, TopicPartition bOn, long bFrom) {
    for (int i = 0; i < 4; i++) {
      sendTo(P0, i, image("a" + i, i));
    }
    p.step();
    for (int i = 0; i < 4; i++) {
      sendTo(bOn, bFrom + i, image("b" + i, i));
    }
    CompletableFuture<Void> second = CompletableFuture.runAsync(p::step);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> predictor.calls.get() == 2);
    return second;
  }

  @Test
  void theNextBatchIsScoredWhileTheLastOneCommits() throws Exception {
    CompletableFuture<Void> second = aInFlightWhileBIsScored(startPipelined(), P0, 4);
    assertEquals(0, gated.commitCount(), "B was scored while A's transaction was still open");
    assertFalse(second.isDone(), "B waits for A's commit before its own transaction begins");

    gated.gate.countDown();
    second.get(10, TimeUnit.SECONDS);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> gated.commitCount() == 2);
    assertEquals(List.of("a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"), gatedIds());
    assertEquals(List.of(Map.of(GROUP, Map.of(P0, new OffsetAndMetadata(4))), Map.of(GROUP, Map.of(P0, new OffsetAndMetadata(8)))),
        gated.consumerGroupOffsetsHistory(), "each transaction commits its own records' offsets, in order");
  }

  @Test
  void aFailedTransactionIsReadAgainWithTheBatchScoredBehindIt() throws Exception {
    PredictionLoop p = startPipelined();
    CompletableFuture<Void> second = aInFlightWhileBIsScored(p, P1, 0); // B on a partition A did not touch
    gated.commitTransactionException = new KafkaException("broker said no");
    gated.gate.countDown();
    second.get(10, TimeUnit.SECONDS);

    assertTrue(gated.transactionAborted());
    assertEquals(List.of(), gated.history(), "nothing of the aborted transaction is visible");
    assertEquals(0, source.position(P0), "back to A's first record");
    assertEquals(0, source.position(P1), "and B's: it came after A and was never committed");
    assertEquals(1, count(InferenceMetrics.TRANSACTIONS, "outcome", "aborted"));

    gated.commitTransactionException = null;
    for (int i = 0; i < 4; i++) { // what the broker delivers again
      sendTo(P0, i, image("a" + i, i));
      sendTo(P1, i, image("b" + i, i));
    }
    p.step();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> gated.commitCount() == 1);
    assertEquals(List.of("a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"), gatedIds().stream().sorted().toList(),
        "each exactly once");
    assertEquals(List.of(Map.of(GROUP, Map.of(P0, new OffsetAndMetadata(4), P1, new OffsetAndMetadata(4)))),
        gated.consumerGroupOffsetsHistory());
  }

  @Test
  void aPartitionIsGivenUpOnlyAfterTheTransactionHoldingItsOffsetsEnds() throws Exception {
    PredictionLoop p = startPipelined();
    for (int i = 0; i < 4; i++) {
      sendTo(P0, i, image("a" + i, i));
    }
    p.step();
    CompletableFuture<Long> revoke = CompletableFuture.supplyAsync(() -> {
      source.rebalance(List.of(P1)); // P0 goes to another instance
      p.step();
      return gated.commitCount();
    });
    org.awaitility.Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
        .until(() -> !revoke.isDone());
    gated.gate.countDown();
    assertEquals(1L, revoke.get(10, TimeUnit.SECONDS), "A's offsets were committed before P0 was given up");
    assertEquals(List.of(Map.of(GROUP, Map.of(P0, new OffsetAndMetadata(4)))), gated.consumerGroupOffsetsHistory());
  }
}
