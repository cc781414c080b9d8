package dev.osprey.inference;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes {@link ModelActivation}s to the models topic, after checking the version exists in the
 * registry and recording its manifest's SHA-256 (so a service refuses the version if it is later
 * replaced on disk). Used by {@code osprey models activate} and the admin HTTP endpoint.
 * Thread-safe; close it.
 */
public final class ActivationPublisher implements AutoCloseable {
  private final ModelRegistry registry;
  private final Topics topics;
  private final EventCodec codec;
  private final Clock clock;
  private final KafkaProducer<String, byte[]> producer;

  /** @param kafka client properties (bootstrap.servers plus security settings) */
  public ActivationPublisher(ModelRegistry registry, Topics topics, EventCodec codec, Properties kafka, Clock clock) {
    this.registry = registry;
    this.topics = topics;
    this.codec = codec;
    this.clock = clock;
    this.producer = new KafkaProducer<>(new KafkaClients(kafka).idempotentProducerConfig(null, Map.of()),
        new StringSerializer(), new ByteArraySerializer());
  }

  /**
   * The activation of {@code name:version}, with the manifest hash, without publishing it.
   *
   * @throws ModelLoadException if the version does not exist or its manifest cannot be read
   */
  public ModelActivation activation(String name, int version, String actor, String reason) throws ModelLoadException {
    registry.manifest(name, version);
    try {
      String sha = ModelRegistry.sha256(registry.versionDir(name, version).resolve(ModelRegistry.MANIFEST_FILE));
      return ModelActivation.of(name, version, clock.millis(), actor, reason).withManifestSha256(sha);
    } catch (IOException e) {
      throw new ModelLoadException("cannot hash the manifest of " + name + ":" + version + ": " + e.getMessage(), e);
    }
  }

  /**
   * Publishes {@code activation} and waits for the broker's acknowledgement.
   *
   * @throws ExecutionException if the broker refused it
   * @throws TimeoutException if no acknowledgement came within 30 s
   */
  public RecordMetadata publish(ModelActivation activation) throws InterruptedException, ExecutionException, TimeoutException {
    return producer.send(new ProducerRecord<>(topics.models().name(), activation.modelName(), codec.encode(activation)))
        .get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    producer.close();
  }
}
