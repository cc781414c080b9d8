package dev.osprey.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicsTest {
  @Test
  void namesPrefixAndCompaction() {
    Topics t = new Topics("staging-", new EventCodec());
    assertEquals("staging-osprey.samples.raw", t.samplesRaw().name());
    assertEquals("staging-osprey.dlq", t.dlq().name());
    assertEquals(11, new HashSet<>(t.all().stream().map(Topic::name).toList()).size());
    assertEquals(List.of(t.models().name()), t.all().stream().filter(Topic::compacted).map(Topic::name).toList());
    assertTrue(Topics.defaults().samples().name().equals("osprey.samples"));
    assertThrows(IllegalArgumentException.class, () -> new Topics("bad prefix", new EventCodec()));
  }

  @Test
  void sampleSerdeRoundTrip() {
    Topics t = Topics.defaults();
    Sample s = Sample.ofTensor("a", 3L, Tensor.ofUint8(new byte[] {1, 2, 3, 4}, 1, 2, 2), Map.of("k", "v"));
    byte[] bytes = t.samples().valueSerde().serializer().serialize("x", s);
    assertEquals(s, t.samples().valueSerde().deserializer().deserialize("x", bytes));
  }
}
