package dev.osprey.explain.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.Method;
import dev.osprey.explain.sampling.CpuBudget;
import dev.osprey.explain.sampling.SamplingPolicy;
import dev.osprey.model.registry.ModelLoadException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * What the explain loop commits: no further than the predictions whose sample positions its join
 * holds and the wrong outcomes still waiting for their prediction, so that a restart reads them
 * again (at least once). Until 2026-11-29 it committed each poll's positions and a crash lost the
 * waiting work.
 */
class ExplainLoopCommitTest {
  private final Topics topics = Topics.defaults();
  private final EventCodec codec = new EventCodec();
  private final TopicPartition predictions = new TopicPartition(topics.predictions().name(), 0);
  private final TopicPartition outcomes = new TopicPartition(topics.outcomes().name(), 0);
  private final AtomicLong nextPrediction = new AtomicLong();
  private final AtomicLong nextOutcome = new AtomicLong();

  private ConsumerRecord<String, byte[]> prediction(String id, long sampleOffset) {
    Prediction p = new Prediction(Prediction.SCHEMA_VERSION, id, "digits", 1, 3, "3", 0.9f, List.of(), null,
        "onnx-cpu", "int8", 1L, 1L);
    RecordHeaders headers = new RecordHeaders();
    headers.add(SamplePosition.HEADER, new SamplePosition(0, sampleOffset).headerValue());
    return new ConsumerRecord<>(predictions.topic(), 0, nextPrediction.getAndIncrement(), ConsumerRecord.NO_TIMESTAMP,
        TimestampType.NO_TIMESTAMP_TYPE, -1, -1, id, codec.encode(p), headers, Optional.empty());
  }

  private ConsumerRecord<String, byte[]> wrongOutcome(String id) {
    Outcome o = new Outcome(Outcome.SCHEMA_VERSION, id, "digits", 1, 3, 5, false, 0.9f, 0.05f, List.of(), "test", 1L,
        2L, 1L, 2L);
    return new ConsumerRecord<>(outcomes.topic(), 0, nextOutcome.getAndIncrement(), id, codec.encode(o));
  }

  private static long committed(MockConsumer<String, byte[]> consumer, TopicPartition tp) {
    OffsetAndMetadata o = consumer.committed(Set.of(tp)).get(tp);
    return o == null ? -1 : o.offset();
  }

  @Test
  void commitsNoFurtherThanTheOldestPositionHeldAndTheOldestOutcomeWaiting() throws Exception {
    MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
    MockProducer<String, Explanation> producer = new MockProducer<>(true, null, new StringSerializer(),
        topics.explanations().valueSerde().serializer());
    ExplainMetrics metrics = new ExplainMetrics(new SimpleMeterRegistry());
    // no version opens: joined work is decided (skipped as sample-missing or version-unavailable) without a model
    VersionCache versions = new VersionCache(1, v -> {
      throw new ModelLoadException("no model in this test");
    });
    SamplesInMemory samples = new SamplesInMemory();
    // the rate (0) and the low-confidence rule choose no prediction; wrong outcomes are explained
    ExplainLoop loop = new ExplainLoop(topics, consumer, samples, producer,
        new SamplingPolicy(new SamplingPolicy.Config(0, 1, 0, true, false, 100), "digits"), 3, 10,
        new SampleExplainer("digits", List.of(Method.GRADIENT), 5, versions, metrics, Clock.systemUTC()), versions,
        new ExplanationStore(10), null, metrics, () -> 0, new CpuBudget(CpuBudget.Config.off()), ThreadCpu.current(),
        System::nanoTime);
    consumer.schedulePollTask(() -> {
      List<TopicPartition> all = List.of(predictions, outcomes, new TopicPartition(topics.drift().name(), 0));
      consumer.rebalance(all);
      consumer.updateBeginningOffsets(Map.of(all.get(0), 0L, all.get(1), 0L, all.get(2), 0L));
      // four predictions, one position evicted (3 held); two wrong outcomes whose predictions are still to come
      for (String id : List.of("a", "b", "c", "d")) {
        consumer.addRecord(prediction(id, 100));
      }
      consumer.addRecord(wrongOutcome("x"));
      consumer.addRecord(wrongOutcome("y"));
    });
    loop.startThread("explain-loop-test");
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> committed(consumer, predictions) >= 0
          && committed(consumer, outcomes) >= 0);
      assertEquals(1, committed(consumer, predictions), "b (offset 1) is the oldest prediction held (a was evicted)");
      assertEquals(0, committed(consumer, outcomes), "x (offset 0) waits for its prediction");
      assertEquals(List.of(), samples.lookedUp, "no sample is read before its work is joined");

      consumer.schedulePollTask(() -> consumer.addRecord(prediction("x", 7))); // x joins; y still waits
      await().atMost(Duration.ofSeconds(30)).until(() -> committed(consumer, outcomes) == 1);
      assertEquals(2, committed(consumer, predictions), "b was evicted by x: c (offset 2) is the oldest held");
      assertEquals(List.of("x"), samples.lookedUp, "x's sample was read at the position its prediction named");

      consumer.schedulePollTask(() -> consumer.addRecord(prediction("y", 8)));
      await().atMost(Duration.ofSeconds(30)).until(() -> committed(consumer, outcomes) == 2);
      assertEquals(3, committed(consumer, predictions));
      assertEquals(List.of("x", "y"), samples.lookedUp);
    } finally {
      loop.stop();
    }
  }

  private ExplainLoop loop(MockConsumer<String, byte[]> consumer, SamplesInMemory samples, ExplainMetrics metrics) {
    VersionCache versions = new VersionCache(1, v -> {
      throw new ModelLoadException("no model in this test");
    });
    // every prediction sampled (the rate never runs out); wrong outcomes explained
    return new ExplainLoop(topics, consumer, samples, new MockProducer<>(true, null, new StringSerializer(),
        topics.explanations().valueSerde().serializer()),
        new SamplingPolicy(new SamplingPolicy.Config(1e6, 1_000_000, 0, true, false, 100), "digits"), 10, 10,
        new SampleExplainer("digits", List.of(Method.GRADIENT), 5, versions, metrics, Clock.systemUTC()), versions,
        new ExplanationStore(10), null, metrics, () -> 0, new CpuBudget(CpuBudget.Config.off()), ThreadCpu.current(),
        System::nanoTime);
  }

  private void assign(MockConsumer<String, byte[]> consumer) {
    List<TopicPartition> all = List.of(predictions, outcomes, new TopicPartition(topics.drift().name(), 0));
    consumer.rebalance(all);
    consumer.updateBeginningOffsets(Map.of(all.get(0), 0L, all.get(1), 0L, all.get(2), 0L));
  }

  /**
   * After a restart the held-back predictions are read again for their positions only: the commit's
   * metadata says how far they were decided, so they are not sampled twice, and a wrong outcome of
   * one of them still finds its sample.
   */
  @Test
  void aRestartReadsHeldPredictionsForTheirPositionsWithoutDecidingThemAgain() throws Exception {
    SamplesInMemory samples = new SamplesInMemory();
    List<ConsumerRecord<String, byte[]>> first = List.of(prediction("p0", 10), prediction("p1", 11),
        prediction("p2", 12), prediction("p3", 13));
    MockConsumer<String, byte[]> before = new MockConsumer<>("earliest");
    ExplainLoop loop = loop(before, samples, new ExplainMetrics(new SimpleMeterRegistry()));
    before.schedulePollTask(() -> {
      assign(before);
      first.forEach(before::addRecord);
    });
    loop.startThread("explain-loop-before");
    OffsetAndMetadata committed;
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> samples.lookedUp.size() == 4
          && DecidedOffsets.position(before.committed(Set.of(predictions)).get(predictions)) == 4);
      committed = before.committed(Set.of(predictions)).get(predictions);
    } finally {
      loop.stop();
    }
    assertEquals(0, committed.offset(), "p0's position is still held");
    assertEquals(4, DecidedOffsets.position(committed), "all four were decided");

    // the next incarnation: the same group offsets; it reads p0-p3 again, then p4 and a wrong outcome of p1
    samples.lookedUp.clear();
    MockConsumer<String, byte[]> after = new MockConsumer<>("earliest");
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ExplainLoop restarted = loop(after, samples, new ExplainMetrics(meters));
    after.schedulePollTask(() -> {
      assign(after);
      after.commitSync(Map.of(predictions, committed));
      first.forEach(after::addRecord);
      after.addRecord(prediction("p4", 14));
      after.addRecord(wrongOutcome("p1"));
    });
    restarted.startThread("explain-loop-after");
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> samples.lookedUp.size() >= 2);
      assertEquals(List.of("p4", "p1"), samples.lookedUp, "p4 sampled, p1's wrong outcome joined its position");
      await().atMost(Duration.ofSeconds(30)).until(() -> DecidedOffsets.position(
          after.committed(Set.of(predictions)).get(predictions)) == 5);
      assertEquals(1, meters.find(ExplainMetrics.SAMPLED).tag("reason", "sampled").counter().count(),
          "p0-p3 were not sampled again");
    } finally {
      restarted.stop();
    }
  }
}
