package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.sampling.SkipReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The sample lookup against a real broker: found by position, and each way a position can fail. */
class SampleLookupIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final EventCodec CODEC = new EventCodec();

  private static byte[] sample(String id, int bright) {
    byte[] pixels = new byte[16];
    pixels[bright % 16] = (byte) 255;
    return CODEC.encode(new Sample(Sample.SCHEMA_VERSION, id, 1L, Tensor.ofUint8(pixels, 1, 4, 4), null, null));
  }

  private static SamplePosition at(RecordMetadata m) {
    return new SamplePosition(m.partition(), m.offset());
  }

  @Test
  void findsEachSampleByItsPositionAndCountsWhatIsNotThere() throws Exception {
    Topics topics = new Topics("lookup.", CODEC);
    kafka.createTopics(topics, 2);
    String topic = topics.samples().name();
    Properties props = kafka.clientProperties();
    List<RecordMetadata> written = new ArrayList<>();
    RecordMetadata junk;
    RecordMetadata aborted;
    try (Producer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < 40; i++) {
        written.add(producer.send(new ProducerRecord<>(topic, 0, "s" + i, sample("s" + i, i))).get());
      }
      junk = producer.send(new ProducerRecord<>(topic, 1, "junk", "{not json".getBytes(StandardCharsets.UTF_8))).get();
    }
    Properties txProps = new Properties();
    txProps.putAll(props);
    txProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "lookup-it");
    try (Producer<String, byte[]> tx = new KafkaProducer<>(txProps, new StringSerializer(), new ByteArraySerializer())) {
      tx.initTransactions();
      tx.beginTransaction();
      aborted = tx.send(new ProducerRecord<>(topic, 1, "gone", sample("gone", 1))).get();
      tx.abortTransaction();
      tx.beginTransaction();
      tx.send(new ProducerRecord<>(topic, 1, "after", sample("after", 2))).get();
      tx.commitTransaction();
    }

    KafkaClients clients = new KafkaClients(props);
    try (SampleLookup lookup = new SampleLookup(clients.readCommittedConsumer(Serdes.String(), Serdes.ByteArray(),
        "lookup-it", Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none",
            ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024, ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024,
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 64)), topic, Duration.ofSeconds(2), () -> true)) {
      // backwards, then forwards: each found by its position, with its own pixels
      for (int i = 39; i >= 0; i -= 13) {
        SampleSource.Found f = lookup.find("s" + i, at(written.get(i)));
        assertEquals("s" + i, f.sample().id());
        assertEquals((byte) 255, f.sample().tensor().data()[i % 16]);
      }
      long before = lookup.fetches();
      for (int i = 10; i < 20; i++) {
        assertEquals("s" + i, lookup.find("s" + i, at(written.get(i))).sample().id());
      }
      assertTrue(lookup.fetches() - before < 10, "lookups close together share fetches: " + (lookup.fetches() - before));

      SampleSource.Found wrongId = lookup.find("s7", at(written.get(8)));
      assertNull(wrongId.sample());
      assertEquals(SkipReason.INVALID_EVENT, wrongId.missing(), wrongId.detail());
      SampleSource.Found notASample = lookup.find("junk", at(junk));
      assertEquals(SkipReason.INVALID_EVENT, notASample.missing(), notASample.detail());
      SampleSource.Found abortedOne = lookup.find("gone", at(aborted));
      assertEquals(SkipReason.SAMPLE_MISSING, abortedOne.missing(), "an aborted record is not read committed");
      SampleSource.Found beyond = lookup.find("s1", new SamplePosition(0, 1_000));
      assertEquals(SkipReason.SAMPLE_MISSING, beyond.missing(), beyond.detail());
      SampleSource.Found noPartition = lookup.find("s1", new SamplePosition(7, 0));
      assertEquals(SkipReason.SAMPLE_MISSING, noPartition.missing(), noPartition.detail());
      // and still finds what is there afterwards
      assertEquals("s3", lookup.find("s3", at(written.get(3))).sample().id());
    }
  }
}
