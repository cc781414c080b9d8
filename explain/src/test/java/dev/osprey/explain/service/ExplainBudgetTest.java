package dev.osprey.explain.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.Method;
import dev.osprey.explain.sampling.CpuBudget;
import dev.osprey.explain.sampling.SamplingPolicy;
import dev.osprey.model.registry.ModelLoadException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The explain loop under a CPU budget, with a synthetic thread-CPU clock (every explanation costs
 * exactly 15 ms) and a frozen wall clock (no refill): what it admits, what it skips as
 * {@code budget}, and what it charges.
 */
class ExplainBudgetTest {
  private static final long MS = 1_000_000L;
  private final Topics topics = Topics.defaults();
  private final EventCodec codec = new EventCodec();
  private final TopicPartition predictions = new TopicPartition(topics.predictions().name(), 0);

  private final SamplesInMemory samples = new SamplesInMemory();

  /** A sample at {@code offset} of the samples topic, and its prediction at the same offset of the predictions topic. */
  private ConsumerRecord<String, byte[]> prediction(long offset, String id, float confidence) {
    samples.byPosition.put(new SamplePosition(0, offset),
        new Sample(Sample.SCHEMA_VERSION, id, 1L, Tensor.ofUint8(new byte[4], 1, 2, 2), null, null));
    Prediction p = new Prediction(Prediction.SCHEMA_VERSION, id, "digits", 1, 3, "3", confidence, List.of(), null,
        "onnx-cpu", "int8", 1L, 1L);
    RecordHeaders headers = new RecordHeaders();
    headers.add(SamplePosition.HEADER, new SamplePosition(0, offset).headerValue());
    return new ConsumerRecord<>(predictions.topic(), 0, offset, ConsumerRecord.NO_TIMESTAMP, TimestampType.NO_TIMESTAMP_TYPE,
        -1, -1, id, codec.encode(p), headers, Optional.empty());
  }

  private static double count(MeterRegistry meters, String name, String reason) {
    var c = meters.find(name).tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void theBudgetSkipsTheRateSampleFirstThenTheRulesAndChargesWhatWasExplained() throws Exception {
    MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
    MockProducer<String, Explanation> producer = new MockProducer<>(true, null, new StringSerializer(),
        topics.explanations().valueSerde().serializer());
    MeterRegistry meters = new SimpleMeterRegistry();
    ExplainMetrics metrics = new ExplainMetrics(meters);
    // no version opens: an admitted prediction is explained as far as the model lookup (skipped as
    // version-unavailable) and charged; the CPU clock makes each explanation cost 15 ms
    VersionCache versions = new VersionCache(1, v -> {
      throw new ModelLoadException("no model in this test");
    });
    AtomicLong cpu = new AtomicLong();
    // 0.1 of a core over 1 s: 100 ms in the bucket; the wall clock never moves, so nothing refills
    CpuBudget budget = new CpuBudget(new CpuBudget.Config(0.1, Duration.ofSeconds(1)));
    ExplainLoop loop = new ExplainLoop(topics, consumer, samples, producer,
        new SamplingPolicy(new SamplingPolicy.Config(1e6, 1_000_000, 0.5, false, false, 100), "digits"), 100, 10,
        new SampleExplainer("digits", List.of(Method.GRADIENT), 5, versions, metrics, Clock.systemUTC()), versions,
        new ExplanationStore(10), null, metrics, () -> 0, budget, () -> cpu.addAndGet(15 * MS), () -> 0L);
    consumer.schedulePollTask(() -> {
      List<TopicPartition> all = List.of(predictions, new TopicPartition(topics.outcomes().name(), 0),
          new TopicPartition(topics.drift().name(), 0));
      consumer.rebalance(all);
      consumer.updateBeginningOffsets(Map.of(all.get(0), 0L, all.get(1), 0L, all.get(2), 0L));
      // twelve predictions alternating sampled (0.9) and low-confidence (0.2)
      for (int i = 0; i < 12; i++) {
        consumer.addRecord(prediction(i, "s" + i, i % 2 == 0 ? 0.9f : 0.2f));
      }
    });
    loop.startThread("explain-budget-test");
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> count(meters, ExplainMetrics.SKIPPED, "budget")
          + count(meters, ExplainMetrics.SKIPPED, "version-unavailable") == 12);
      // bucket 100 ms: sampled (100 >= 50) -> 85, low -> 70, sampled (70 >= 50) -> 55, low -> 40, sampled
      // skipped (40 < 50), low -> 25, sampled skipped, low -> 10, sampled skipped, low -> -5 (debt),
      // sampled and low skipped
      assertEquals(6, count(meters, ExplainMetrics.SAMPLED, "sampled"));
      assertEquals(6, count(meters, ExplainMetrics.SAMPLED, "low-confidence"));
      assertEquals(7, count(meters, ExplainMetrics.SKIPPED, "version-unavailable"), "admitted: 2 sampled + 5 low");
      assertEquals(5, count(meters, ExplainMetrics.SKIPPED, "budget"), "4 sampled, then the last low-confidence one");
      assertEquals(0.105, meters.find(ExplainMetrics.CPU).counter().count(), 1e-9);
      assertEquals(-5 * MS, budget.tokensNanos(), 1);
      assertEquals(List.of("s0", "s1", "s2", "s3", "s5", "s7", "s9"), samples.lookedUp,
          "a sample is read only when the budget admits its prediction");
    } finally {
      loop.stop();
    }
  }
}
