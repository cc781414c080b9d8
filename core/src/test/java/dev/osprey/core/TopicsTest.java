package dev.osprey.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class TopicsTest {
  @Test
  void namesPrefixAndCompaction() {
    Topics t = new Topics("staging-", new EventCodec());
    assertEquals("staging-osprey.samples.raw", t.samplesRaw().name());
    assertEquals("staging-osprey.dlq", t.dlq().name());
    assertEquals(12, new HashSet<>(t.all().stream().map(Topic::name).toList()).size());
    assertEquals(List.of(t.models().name(), t.runs().name()), t.all().stream().filter(Topic::compacted).map(Topic::name).toList());
    assertTrue(Topics.defaults().samples().name().equals("osprey.samples"));
    assertEquals("staging-osprey.runs", t.runs().name());
    assertThrows(IllegalArgumentException.class, () -> new Topics("bad prefix", new EventCodec()));
  }

  @Test
  void sampleSerdeRoundTrip() {
    Topics t = Topics.defaults();
    Sample s = Sample.ofTensor("a", 3L, Tensor.ofUint8(new byte[] {1, 2, 3, 4}, 1, 2, 2), Map.of("k", "v"));
    byte[] bytes = t.samples().valueSerde().serializer().serialize("x", s);
    assertEquals(s, t.samples().valueSerde().deserializer().deserialize("x", bytes));
  }

  @Test
  void derivedTopicsAreTypedAndDecodeStrictly() {
    Topics t = Topics.defaults();
    Outcome o = Outcome.of(
        new Prediction(1, "s", "m", 2, 1, "1", 0.75f, List.of(0.25f, 0.75f), null, "onnx-cpu", "int8", 1L, 2L),
        Feedback.of("s", 1, "a", 5L), 6L);
    byte[] bytes = t.outcomes().valueSerde().serializer().serialize("x", o);
    assertEquals(o, t.outcomes().valueSerde().deserializer().deserialize("x", bytes));
    byte[] v2 = new String(bytes, StandardCharsets.UTF_8).replace("\"schemaVersion\":1", "\"schemaVersion\":2")
        .getBytes(StandardCharsets.UTF_8);
    SerializationException e =
        assertThrows(SerializationException.class, () -> t.outcomes().valueSerde().deserializer().deserialize("x", v2));
    assertTrue(e.getMessage().contains("unsupported-schema"), e.getMessage());
    assertEquals("osprey.labeled", t.labeled().name());
    assertEquals("osprey.drift", t.drift().name());
    assertEquals("osprey.explanations", t.explanations().name());
  }
}
