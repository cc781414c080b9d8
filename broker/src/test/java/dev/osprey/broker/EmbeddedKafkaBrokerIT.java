package dev.osprey.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.topic.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerIT {

  @Test
  void transactionalRoundTripAndTopicsOnLoopback(@TempDir Path tmp) throws Exception {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.ephemeral())) {
      assertTrue(broker.bootstrapServers().startsWith("127.0.0.1:"));
      Properties client = new Properties();
      client.put("bootstrap.servers", broker.bootstrapServers());
      assertEquals(2, transactionVersion(client), "transactions v2: fewer round trips per commit");
      Topics topics = new Topics("t1.", new dev.osprey.core.event.EventCodec());
      try (TopicAdmin admin = new TopicAdmin(client)) {
        assertEquals(topics.all().size(), admin.createAll(topics, 3, (short) 1).size());
        assertEquals(0, admin.createAll(topics, 3, (short) 1).size(), "second create is a no-op");
        assertTrue(admin.list().contains("t1.osprey.samples"));
      }
      try (Admin admin = Admin.create(client)) {
        var res = new ConfigResource(ConfigResource.Type.TOPIC, topics.models().name());
        ConfigEntry policy = admin.describeConfigs(List.of(res)).all().get().get(res).get("cleanup.policy");
        assertEquals("compact", policy.value());
        assertEquals(1, admin.describeTopics(List.of(topics.models().name())).allTopicNames().get()
            .get(topics.models().name()).partitions().size());
      }
      Properties pp = new Properties();
      pp.putAll(client);
      pp.put("transactional.id", "it-tx");
      String topic = topics.samples().name();
      try (var producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
        producer.initTransactions();
        producer.beginTransaction();
        for (int i = 0; i < 100; i++) {
          producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
        }
        producer.commitTransaction();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, "aborted", "x"));
        producer.abortTransaction();
      }
      Properties cp = new Properties();
      cp.putAll(client);
      cp.put("group.id", "it");
      cp.put("auto.offset.reset", "earliest");
      cp.put("isolation.level", "read_committed");
      List<ConsumerRecord<String, String>> got = new ArrayList<>();
      try (var consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
        consumer.subscribe(List.of(topic));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
          consumer.poll(Duration.ofMillis(200)).forEach(got::add);
          return got.size() >= 100;
        });
        consumer.poll(Duration.ofMillis(500)).forEach(got::add);
      }
      assertEquals(100, got.size(), "committed records only, aborted one invisible");
      assertFalse(got.stream().anyMatch(r -> r.key().equals("aborted")));
      Path dir = broker.dataDir();
      assertTrue(Files.isDirectory(dir));
      broker.close();
      assertFalse(Files.exists(dir), "temporary data dir removed on close");
    }
  }

  @Test
  void dataDirOfTransactionsV1IsRaisedToV2(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("kafka");
    Files.createDirectories(data);
    // formatted as releases before transactions v2 did
    EmbeddedKafkaBroker.format(data, EmbeddedKafkaBroker.brokerProperties(data, 0, 0, 1), (short) 1);
    try (EmbeddedKafkaBroker b = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(0, data, 1))) {
      Properties c = new Properties();
      c.put("bootstrap.servers", b.bootstrapServers());
      assertEquals(2, transactionVersion(c));
    }
  }

  private static short transactionVersion(Properties client) throws Exception {
    try (Admin admin = Admin.create(client)) {
      return admin.describeFeatures().featureMetadata().get().finalizedFeatures()
          .get(EmbeddedKafkaBroker.TRANSACTION_VERSION_FEATURE).maxVersionLevel();
    }
  }

  @Test
  void persistentDataDirSurvivesRestart(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("kafka");
    String topic = "osprey.samples";
    try (EmbeddedKafkaBroker b = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(0, data, 1))) {
      Properties c = new Properties();
      c.put("bootstrap.servers", b.bootstrapServers());
      try (TopicAdmin admin = new TopicAdmin(c)) {
        admin.createAll(Topics.defaults(), 1, (short) 1);
      }
      c.put("acks", "all");
      try (var p = new KafkaProducer<>(c, new StringSerializer(), new StringSerializer())) {
        p.send(new ProducerRecord<>(topic, "kept", "value")).get();
      }
    }
    assertTrue(Files.isDirectory(data), "persistent dir kept after close");
    try (EmbeddedKafkaBroker b = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(0, data, 1))) {
      Properties cp = new Properties();
      cp.put("bootstrap.servers", b.bootstrapServers());
      cp.put("group.id", "restart");
      cp.put("auto.offset.reset", "earliest");
      List<String> keys = new ArrayList<>();
      try (var consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
        consumer.subscribe(List.of(topic));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
          consumer.poll(Duration.ofMillis(200)).forEach(r -> keys.add(r.key()));
          return !keys.isEmpty();
        });
      }
      assertEquals(List.of("kept"), keys);
    }
  }
}
