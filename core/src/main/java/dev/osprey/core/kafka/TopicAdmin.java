package dev.osprey.core.kafka;

import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates Osprey's topics; idempotent (existing topics are left as they are). */
public final class TopicAdmin implements AutoCloseable {
  private final Admin admin;

  /** @param clientProperties bootstrap.servers plus any security settings */
  public TopicAdmin(Properties clientProperties) {
    this.admin = Admin.create(clientProperties);
  }

  /**
   * Creates every topic of the catalogue that does not exist yet.
   *
   * @param partitions partitions per topic (the compacted models topic always gets 1, so "latest" is total)
   * @param replicationFactor replicas per partition
   * @return names of the topics this call created
   * @throws IllegalArgumentException if partitions or replicationFactor is below 1
   */
  public List<String> createAll(Topics topics, int partitions, short replicationFactor)
      throws InterruptedException, TimeoutException {
    if (partitions < 1 || replicationFactor < 1) {
      throw new IllegalArgumentException(
          "partitions and replicationFactor must be >= 1, got " + partitions + "/" + replicationFactor);
    }
    List<NewTopic> wanted = new ArrayList<>();
    for (Topic<?, ?> t : topics.all()) {
      NewTopic nt = new NewTopic(t.name(), t.compacted() ? 1 : partitions, replicationFactor);
      if (t.compacted()) {
        nt.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      }
      wanted.add(nt);
    }
    List<String> created = new ArrayList<>();
    var result = admin.createTopics(wanted);
    for (var e : result.values().entrySet()) {
      try {
        e.getValue().get(30, TimeUnit.SECONDS);
        created.add(e.getKey());
      } catch (ExecutionException ex) {
        if (!(ex.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException("cannot create topic " + e.getKey() + ": " + ex.getCause().getMessage(), ex);
        }
      }
    }
    return created;
  }

  /** Names of existing topics (internal ones excluded). */
  public Set<String> list() throws InterruptedException, ExecutionException {
    return admin.listTopics().names().get();
  }

  @Override
  public void close() {
    admin.close();
  }
}
