package dev.osprey.model.registry;

import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.service.KafkaClients;
import dev.osprey.core.topic.Topics;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Publishes {@link ModelActivation}s to the models topic, after checking the version exists in the
 * registry and recording its manifest's SHA-256 (so a service refuses the version if it is later
 * replaced on disk). Lives beside the registry so anything that promotes a version (the CLI's
 * {@code osprey models activate}, inference's admin endpoint, the trainer) publishes the same way.
 * Thread-safe; close it.
 */
public final class ActivationPublisher implements AutoCloseable {
  private final ModelRegistry registry;
  private final Topics topics;
  private final Clock clock;
  private final Producer<String, ModelActivation> producer;

  /** @param kafka client properties (bootstrap.servers plus security settings) */
  public ActivationPublisher(ModelRegistry registry, Topics topics, Properties kafka, Clock clock) {
    this.registry = registry;
    this.topics = topics;
    this.clock = clock;
    this.producer = new KafkaClients(kafka).idempotentProducer(topics.models(), null, Map.of());
  }

  /**
   * The activation of {@code name:version}, with the manifest hash, without publishing it. The
   * version is verified first (every file's size and SHA-256): a corrupt version, which every
   * service would refuse, is never activated.
   *
   * @throws ModelLoadException if the version does not exist, its manifest cannot be read, or it
   *     is corrupt or incomplete
   * @throws IllegalArgumentException for an invalid name or a version below 1
   */
  public ModelActivation activation(String name, int version, String actor, String reason) throws ModelLoadException {
    return activation(registry, clock, name, version, actor, reason);
  }

  /**
   * As {@link #activation(String, int, String, String)}, for a caller that writes the record with its
   * own producer (the trainer: in one Kafka transaction with its run log).
   */
  public static ModelActivation activation(ModelRegistry registry, Clock clock, String name, int version, String actor,
      String reason) throws ModelLoadException {
    registry.load(name, version);
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
    return producer.send(new ProducerRecord<>(topics.models().name(), activation.modelName(), activation))
        .get(30, TimeUnit.SECONDS);
  }

  /**
   * {@link #activation} then {@link #publish}: every service following {@code name} then loads
   * {@code version}.
   *
   * @return the published activation
   * @throws ModelLoadException if the registry has no such version
   * @throws ExecutionException if the broker refused the record
   */
  public ModelActivation activate(String name, int version, String actor, String reason)
      throws ModelLoadException, InterruptedException, ExecutionException, TimeoutException {
    ModelActivation a = activation(name, version, actor, reason);
    publish(a);
    return a;
  }

  @Override
  public void close() {
    producer.close();
  }
}
