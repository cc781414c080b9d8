package dev.osprey.core.kafka;

import dev.osprey.core.topic.Topic;
import dev.osprey.core.topic.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.LeaderNotAvailableException;
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
    awaitWritable(created, Duration.ofSeconds(30));
    return created;
  }

  /**
   * Waits until every partition of the given topics answers ListOffsets from its leader, i.e. the
   * leader has opened the partition and can take writes.
   *
   * <p>Why: a topic counts as created once the controller has it, but its leader opens it a moment
   * later. An idempotent producer writing in that moment can have its first request refused
   * (NOT_LEADER_OR_FOLLOWER) and a later one accepted; the retried first request then fails with
   * OUT_OF_ORDER_SEQUENCE_NUMBER until it times out (KAFKA-15591). Waiting here closes the window.
   *
   * @throws TimeoutException if some partition is still not writable after {@code timeout}
   */
  public void awaitWritable(Collection<String> topicNames, Duration timeout) throws InterruptedException, TimeoutException {
    if (topicNames.isEmpty()) {
      return;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    Throwable last = null;
    for (long backoffMs = 10; System.nanoTime() < deadline; backoffMs = Math.min(backoffMs * 2, 500)) {
      try {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (var d : admin.describeTopics(topicNames).allTopicNames().get(5, TimeUnit.SECONDS).values()) {
          for (var p : d.partitions()) {
            if (p.leader() == null || p.leader().isEmpty()) {
              throw new LeaderNotAvailableException("no leader yet for " + d.name() + "-" + p.partition());
            }
            request.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
          }
        }
        admin.listOffsets(request).all().get(5, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException | LeaderNotAvailableException | TimeoutException e) {
        last = e instanceof ExecutionException ? e.getCause() : e;
      }
      Thread.sleep(backoffMs);
    }
    TimeoutException t = new TimeoutException("topics " + topicNames + " not writable after " + timeout.toMillis() + " ms");
    t.initCause(last);
    throw t;
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
