package dev.osprey.core.service;

import dev.osprey.core.topic.Topic;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;

/**
 * Kafka clients of a service, from the base client properties (bootstrap.servers plus any security
 * settings, passed through unchanged) and a topic's serdes: a {@code read_committed} consumer, an
 * idempotent producer and a transactional one, with the settings exactly-once needs fixed here
 * once. {@code overrides} add what one service needs on top (group id, static membership, linger,
 * poll size). Also the start-time check that the topics a service uses exist.
 */
public final class KafkaClients {
  private final Properties base;

  /**
   * @param base bootstrap.servers plus pass-through client settings (copied)
   * @throws IllegalArgumentException if bootstrap.servers is not set
   */
  public KafkaClients(Properties base) {
    this.base = new Properties();
    this.base.putAll(Objects.requireNonNull(base, "base"));
    // No JMX reporter unless asked for (kafka.metric.reporters): each client registered MBeans for its
    // metrics at creation, ~0.05 s of a service's start over its four clients
    // (docs/benchmarks-inference.md); the clients' metrics reach Prometheus through Micrometer's
    // KafkaClientMetrics, which reads them from the client directly.
    this.base.putIfAbsent(CommonClientConfigs.METRIC_REPORTER_CLASSES_CONFIG, "");
    Object bootstrap = this.base.get("bootstrap.servers");
    if (bootstrap == null || bootstrap.toString().isBlank()) {
      throw new IllegalArgumentException("kafka 'bootstrap.servers' must be set, got " + bootstrap);
    }
  }

  /** A copy of the base properties. */
  public Properties base() {
    Properties p = new Properties();
    p.putAll(base);
    return p;
  }

  public String bootstrapServers() {
    return base.get("bootstrap.servers").toString();
  }

  /** Sees committed records only, commits nothing by itself (offsets go in transactions), starts at the beginning. */
  public Properties readCommittedConsumerConfig(String clientId, Map<String, ?> overrides) {
    Properties p = base();
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.putAll(overrides);
    return p;
  }

  /** Idempotent, acknowledged by all in-sync replicas; {@code clientId} may be null (Kafka picks one). */
  public Properties idempotentProducerConfig(String clientId, Map<String, ?> overrides) {
    Properties p = base();
    if (clientId != null) {
      p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    }
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.putAll(overrides);
    return p;
  }

  /**
   * Idempotent plus a transactional id. Keep the id stable per instance: {@code initTransactions()}
   * then fences a previous incarnation and aborts its open transaction.
   */
  public Properties transactionalProducerConfig(String transactionalId, String clientId, Map<String, ?> overrides) {
    Properties p = idempotentProducerConfig(clientId, Map.of());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, Objects.requireNonNull(transactionalId, "transactionalId"));
    p.putAll(overrides);
    return p;
  }

  /** A read_committed consumer of {@code topic}, with its serdes. */
  public <K, V> Consumer<K, V> readCommittedConsumer(Topic<K, V> topic, String clientId, Map<String, ?> overrides) {
    return readCommittedConsumer(topic.keySerde(), topic.valueSerde(), clientId, overrides);
  }

  /** A read_committed consumer with the given serdes (e.g. raw bytes, to dead-letter what does not decode). */
  public <K, V> Consumer<K, V> readCommittedConsumer(Serde<K> keys, Serde<V> values, String clientId,
      Map<String, ?> overrides) {
    return new KafkaConsumer<>(readCommittedConsumerConfig(clientId, overrides), keys.deserializer(),
        values.deserializer());
  }

  /** An idempotent producer to {@code topic}, with its serdes. */
  public <K, V> Producer<K, V> idempotentProducer(Topic<K, V> topic, String clientId, Map<String, ?> overrides) {
    return new KafkaProducer<>(idempotentProducerConfig(clientId, overrides), topic.keySerde().serializer(),
        topic.valueSerde().serializer());
  }

  /** A transactional producer with the given serdes; call {@code initTransactions()} before use. */
  public <K, V> Producer<K, V> transactionalProducer(Serde<K> keys, Serde<V> values, String transactionalId,
      String clientId, Map<String, ?> overrides) {
    return new KafkaProducer<>(transactionalProducerConfig(transactionalId, clientId, overrides), keys.serializer(),
        values.serializer());
  }

  /**
   * Fails unless every topic in {@code topics} exists.
   *
   * @param createHint how to create them, named in the message (e.g. a command line)
   * @throws ServiceStartException naming the missing topics, or why they could not be listed
   */
  public void requireTopics(Collection<? extends Topic<?, ?>> topics, Duration timeout, String createHint)
      throws ServiceStartException {
    List<String> needed = topics.stream().map(Topic::name).toList();
    Properties p = base();
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "osprey-topics-check");
    // a consumer's metadata request, not an Admin client: every service starts consumers right
    // after, so this initializes code it needs anyway (the Admin client was ~0.2 s of a start)
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      Set<String> existing = consumer.listTopics(timeout).keySet();
      List<String> missing = needed.stream().filter(t -> !existing.contains(t)).toList();
      if (!missing.isEmpty()) {
        throw new ServiceStartException("topics " + missing + " do not exist on " + bootstrapServers()
            + " (create them first, e.g. with `" + createHint + "`)", null);
      }
    } catch (KafkaException e) {
      throw new ServiceStartException("cannot list topics on " + bootstrapServers() + ": " + e, e);
    }
  }

  /**
   * The largest record batch each topic accepts: its {@code max.message.bytes}, which is the
   * broker's {@code message.max.bytes} unless the topic overrides it. A writer that checks its
   * records against this cannot be refused for size by the broker.
   *
   * @throws ServiceStartException if the configs cannot be read within {@code timeout}
   */
  public Map<String, Integer> maxMessageBytes(Collection<String> topicNames, Duration timeout)
      throws ServiceStartException {
    Properties p = base();
    p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    List<ConfigResource> resources = topicNames.stream().distinct()
        .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
    try (Admin admin = Admin.create(p)) {
      Map<ConfigResource, Config> configs =
          admin.describeConfigs(resources).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      Map<String, Integer> out = new HashMap<>();
      for (Map.Entry<ConfigResource, Config> e : configs.entrySet()) {
        ConfigEntry entry = e.getValue().get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        if (entry != null && entry.value() != null) {
          out.put(e.getKey().name(), Integer.parseInt(entry.value()));
        }
      }
      return out;
    } catch (ExecutionException | TimeoutException | NumberFormatException e) {
      throw new ServiceStartException("cannot read max.message.bytes of " + topicNames + " on " + bootstrapServers()
          + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServiceStartException("interrupted while reading the configs of " + topicNames, e);
    }
  }
}
