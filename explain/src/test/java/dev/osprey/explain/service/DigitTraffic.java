package dev.osprey.explain.service;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.PublishedDigits;
import dev.osprey.explain.TrainedDigits;
import dev.osprey.model.Softmax;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Test traffic for the explain service: fixture test digits as samples (cycled), then the fixture
 * model's int8 predictions of them, the first half by one version and the rest by another (the
 * caller activates the second one at the switch), as inference would write them (each naming its
 * sample's position).
 */
public final class DigitTraffic {
  /**
   * What was produced.
   *
   * @param versionOf the version that predicted each sample id
   * @param lowConfidence ids predicted with a confidence below the threshold
   * @param firstTimestamp first prediction timestamp (epoch ms)
   * @param lastTimestamp last prediction timestamp
   */
  record Produced(Map<String, Integer> versionOf, Set<String> lowConfidence, long firstTimestamp, long lastTimestamp) {}

  /** Called once, before the first prediction of the second version is produced. */
  interface Swap {
    void run() throws Exception;
  }

  private DigitTraffic() {}

  static Produced replay(Properties kafka, Topics topics, int n, int v1, int v2, Swap swap, float lowBelow)
      throws Exception {
    ImageDataset test = TrainedDigits.test();
    int distinct = Math.min(n, test.size());
    float[][] x = TrainedDigits.testInputs(0, distinct);
    Map<String, Integer> versionOf = new HashMap<>();
    Set<String> lowConfidence = new HashSet<>();
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    try (OnnxPredictor int8 = OnnxPredictor.openCpu(TrainedDigits.int8(), OrtConfig.cpu(1));
        Producer<String, Sample> samples = new KafkaProducer<>(kafka, topics.samples().keySerde().serializer(),
            topics.samples().valueSerde().serializer());
        Producer<String, Prediction> predictions = new KafkaProducer<>(kafka,
            topics.predictions().keySerde().serializer(), topics.predictions().valueSerde().serializer())) {
      List<Future<RecordMetadata>> written = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String id = "s-" + i;
        written.add(samples.send(new ProducerRecord<>(topics.samples().name(), id, new Sample(Sample.SCHEMA_VERSION, id,
            System.currentTimeMillis(), Tensor.ofUint8(test.image(i % distinct), 1, 28, 28), null, null))));
      }
      samples.flush();
      for (int i = 0; i < n; i++) {
        if (i == n / 2) {
          predictions.flush();
          swap.run();
        }
        int version = i < n / 2 ? v1 : v2;
        float[] prob = Softmax.of(int8.predict(x[i % distinct], 1).logits(0));
        int label = Softmax.argmax(prob);
        String id = "s-" + i;
        versionOf.put(id, version);
        if (prob[label] < lowBelow) {
          lowConfidence.add(id);
        }
        long now = System.currentTimeMillis();
        first = Math.min(first, now);
        last = Math.max(last, now);
        RecordMetadata at = written.get(i).get();
        RecordHeaders headers = new RecordHeaders();
        headers.add(SamplePosition.HEADER, new SamplePosition(at.partition(), at.offset()).headerValue());
        predictions.send(new ProducerRecord<>(topics.predictions().name(), null, id, new Prediction(
            Prediction.SCHEMA_VERSION, id, PublishedDigits.NAME, version, label, Integer.toString(label), prob[label],
            List.of(), null, "onnx-cpu", "int8", 0L, now), headers));
      }
    }
    return new Produced(versionOf, lowConfidence, first, last);
  }

  /** Publishes an activation of {@code version} on the models topic. */
  public static void activate(Properties kafka, Topics topics, int version) throws Exception {
    try (Producer<String, ModelActivation> p = new KafkaProducer<>(kafka, topics.models().keySerde().serializer(),
        topics.models().valueSerde().serializer())) {
      p.send(new ProducerRecord<>(topics.models().name(), PublishedDigits.NAME,
          ModelActivation.of(PublishedDigits.NAME, version, System.currentTimeMillis(), "test", "replay"))).get();
    }
  }
}
