package dev.osprey.explain.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
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
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * What the explain loop commits: no further than the samples its join holds and the chosen
 * predictions still waiting for their sample, so that a restart reads them again (at least once).
 * Until 2026-11-29 it committed each poll's positions and a crash lost the waiting predictions.
 */
class ExplainLoopCommitTest {
  private final Topics topics = Topics.defaults();
  private final EventCodec codec = new EventCodec();
  private final TopicPartition samples = new TopicPartition(topics.samples().name(), 0);
  private final TopicPartition predictions = new TopicPartition(topics.predictions().name(), 0);
  private final AtomicLong nextSample = new AtomicLong();
  private final AtomicLong nextPrediction = new AtomicLong();

  private ConsumerRecord<String, byte[]> sample(String id) {
    Sample s = new Sample(Sample.SCHEMA_VERSION, id, 1L, Tensor.ofUint8(new byte[4], 1, 2, 2), null, null);
    return new ConsumerRecord<>(samples.topic(), 0, nextSample.getAndIncrement(), id, codec.encode(s));
  }

  private ConsumerRecord<String, byte[]> prediction(String id) {
    Prediction p = new Prediction(Prediction.SCHEMA_VERSION, id, "digits", 1, 3, "3", 0.9f, List.of(), null,
        "onnx-cpu", "int8", 1L, 1L);
    return new ConsumerRecord<>(predictions.topic(), 0, nextPrediction.getAndIncrement(), id, codec.encode(p));
  }

  private static long committed(MockConsumer<String, byte[]> consumer, TopicPartition tp) {
    OffsetAndMetadata o = consumer.committed(Set.of(tp)).get(tp);
    return o == null ? -1 : o.offset();
  }

  @Test
  void commitsNoFurtherThanTheOldestSampleHeldAndTheOldestPredictionWaiting() throws Exception {
    MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
    MockProducer<String, Explanation> producer = new MockProducer<>(true, null, new StringSerializer(),
        topics.explanations().valueSerde().serializer());
    ExplainMetrics metrics = new ExplainMetrics(new SimpleMeterRegistry());
    // no version opens: a joined prediction is decided (skipped as version-unavailable) without a model
    VersionCache versions = new VersionCache(1, v -> {
      throw new ModelLoadException("no model in this test");
    });
    ExplainLoop loop = new ExplainLoop(topics, consumer, producer,
        new SamplingPolicy(new SamplingPolicy.Config(1e6, 1_000_000, 0.5, false, false, 100), "digits"), 3, 10,
        new SampleExplainer("digits", List.of(Method.GRADIENT), 5, versions, metrics, Clock.systemUTC()), versions,
        new ExplanationStore(10), null, metrics, () -> 0, new CpuBudget(CpuBudget.Config.off()), ThreadCpu.current(),
        System::nanoTime);
    consumer.schedulePollTask(() -> {
      List<TopicPartition> all = List.of(samples, predictions, new TopicPartition(topics.outcomes().name(), 0),
          new TopicPartition(topics.drift().name(), 0));
      consumer.rebalance(all);
      consumer.updateBeginningOffsets(Map.of(all.get(0), 0L, all.get(1), 0L, all.get(2), 0L, all.get(3), 0L));
      // four samples, one evicted (3 held); two predictions whose samples are still to come
      for (String id : List.of("a", "b", "c", "d")) {
        consumer.addRecord(sample(id));
      }
      consumer.addRecord(prediction("x"));
      consumer.addRecord(prediction("y"));
    });
    loop.startThread("explain-loop-test");
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> committed(consumer, samples) >= 0
          && committed(consumer, predictions) >= 0);
      assertEquals(1, committed(consumer, samples), "b (offset 1) is the oldest sample held (a was evicted)");
      assertEquals(0, committed(consumer, predictions), "x (offset 0) waits for its sample");

      consumer.schedulePollTask(() -> consumer.addRecord(sample("x"))); // x joins; y still waits
      await().atMost(Duration.ofSeconds(30)).until(() -> committed(consumer, predictions) == 1);
      assertEquals(2, committed(consumer, samples), "b was evicted by x: c (offset 2) is the oldest sample held");

      consumer.schedulePollTask(() -> consumer.addRecord(sample("y")));
      await().atMost(Duration.ofSeconds(30)).until(() -> committed(consumer, predictions) == 2);
      assertEquals(3, committed(consumer, samples));
    } finally {
      loop.stop();
    }
  }
}
