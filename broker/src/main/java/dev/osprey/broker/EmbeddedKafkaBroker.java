package dev.osprey.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FeatureUpdate;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.UpdateFeaturesOptions;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka broker (combined KRaft broker + controller) running in this JVM, listening on
 * 127.0.0.1 only. Replication factors are 1. With a given data directory the broker's data
 * survives restarts; without one it uses a temp directory removed on {@link #close()} (and by a
 * shutdown hook, so Ctrl-C leaves nothing behind).
 *
 * <p>Not a test double: this is Kafka's own {@code KafkaRaftServer}, so transactions, compaction
 * and consumer groups behave as on a real cluster.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final String LOOPBACK = "127.0.0.1";
  static final String TRANSACTION_VERSION_FEATURE = "transaction.version";
  /**
   * Transactions v2 (KIP-890): the broker adds a transaction's partitions on their first produce
   * and TxnOffsetCommit adds the group, so a transaction takes two fewer client round trips
   * (at 8,000 samples/s the inference p50 fell from 22-38 to 14-15 ms, docs/benchmarks-inference.md).
   */
  static final short TRANSACTION_VERSION = 2;

  /**
   * @param port client port on 127.0.0.1; 0 picks a free one
   * @param dataDir directory kept across restarts, or null for a temp dir removed on close
   * @param defaultPartitions partitions of auto-created / default topics
   */
  public record Config(int port, Path dataDir, int defaultPartitions) {
    public Config {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("broker port must be 0..65535, got " + port);
      }
      if (defaultPartitions < 1) {
        throw new IllegalArgumentException("defaultPartitions must be >= 1, got " + defaultPartitions);
      }
    }

    /** Free port, temp dir, 3 partitions: what tests and the demo use. */
    public static Config ephemeral() {
      return new Config(0, null, 3);
    }
  }

  private final KafkaRaftServer server;
  private final Path dir;
  private final boolean temporary;
  private final int port;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread cleanupHook;

  private EmbeddedKafkaBroker(KafkaRaftServer server, Path dir, boolean temporary, int port) {
    this.server = server;
    this.dir = dir;
    this.temporary = temporary;
    this.port = port;
    this.cleanupHook = new Thread(this::close, "osprey-broker-shutdown");
    Runtime.getRuntime().addShutdownHook(cleanupHook);
  }

  /**
   * Formats storage (first start only) and starts the broker; returns when it accepts clients.
   *
   * @throws IOException if the data directory cannot be created or formatted, or ports are taken
   */
  public static EmbeddedKafkaBroker start(Config config) throws IOException {
    boolean temporary = config.dataDir() == null;
    Path dir = temporary ? Files.createTempDirectory("osprey-kafka-") : config.dataDir().toAbsolutePath();
    Files.createDirectories(dir);
    int port = config.port() == 0 ? freePort() : config.port();
    int controllerPort = freePort();
    Properties props = brokerProperties(dir, port, controllerPort, config.defaultPartitions());
    try {
      boolean reused = !format(dir, props, TRANSACTION_VERSION);
      KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      server.startup();
      if (reused) {
        try {
          upgradeTransactionVersion(LOOPBACK + ":" + port);
        } catch (IOException | RuntimeException e) { // no half-started broker left behind
          server.shutdown();
          server.awaitShutdown();
          throw e;
        }
      }
      LOG.info("Kafka broker up on {}:{} (data in {}{})", LOOPBACK, port, dir, temporary ? ", temporary" : "");
      return new EmbeddedKafkaBroker(server, dir, temporary, port);
    } catch (RuntimeException | IOException e) {
      if (temporary) {
        deleteRecursively(dir);
      }
      throw e;
    }
  }

  static Properties brokerProperties(Path dir, int port, int controllerPort, int partitions) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@" + LOOPBACK + ":" + controllerPort);
    p.put("listeners", "PLAINTEXT://" + LOOPBACK + ":" + port + ",CONTROLLER://" + LOOPBACK + ":" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + LOOPBACK + ":" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", dir.resolve("logs").toString());
    p.put("metadata.log.dir", dir.resolve("metadata").toString());
    p.put("num.partitions", Integer.toString(partitions));
    p.put("auto.create.topics.enable", "false");
    // One node: every internal topic has one replica, and few partitions keep start-up fast.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "3");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "3");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // Transactions v2 (KIP-890): the broker adds a transaction's partitions itself on its first
    // produce, no AddPartitionsToTxn round trip from the client. A produce that arrives while the
    // transaction before is still writing its markers is retried on the broker, every 1 ms here
    // (default 20 ms: most of the latency of a transaction of a few ms), for up to 1 s before the
    // client sees CONCURRENT_TRANSACTIONS and retries itself (logged as a warning).
    p.put("add.partitions.to.txn.retry.backoff.ms", "1");
    p.put("add.partitions.to.txn.retry.backoff.max.ms", "1000");
    p.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 << 20));
    return p;
  }

  /**
   * A data directory formatted by an older release keeps transactions v1 (the level is stored in the
   * cluster's metadata); raised here so every broker of ours commits with the fewer round trips.
   */
  private static void upgradeTransactionVersion(String bootstrap) throws IOException {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      FinalizedVersionRange level = admin.describeFeatures().featureMetadata().get()
          .finalizedFeatures().get(TRANSACTION_VERSION_FEATURE);
      if (level == null || level.maxVersionLevel() < TRANSACTION_VERSION) {
        admin.updateFeatures(Map.of(TRANSACTION_VERSION_FEATURE,
            new FeatureUpdate(TRANSACTION_VERSION, FeatureUpdate.UpgradeType.UPGRADE)), new UpdateFeaturesOptions()).all().get();
        LOG.info("transaction.version raised from {} to {}", level == null ? 0 : level.maxVersionLevel(), TRANSACTION_VERSION);
      }
    } catch (ExecutionException e) {
      throw new IOException("cannot raise " + TRANSACTION_VERSION_FEATURE + " to " + TRANSACTION_VERSION + ": "
          + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while checking " + TRANSACTION_VERSION_FEATURE, e);
    }
  }

  /** Formats {@code dir} unless it already is; returns whether it was formatted now. */
  static boolean format(Path dir, Properties props, short transactionVersion) throws IOException {
    Path meta = dir.resolve("metadata");
    if (Files.exists(meta.resolve("meta.properties"))) {
      return false; // already formatted: a persistent data dir being reused
    }
    try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
      new Formatter()
          .setPrintStream(quiet)
          .setNodeId(1)
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(List.of(props.getProperty("log.dirs"), meta.toString()))
          .setMetadataLogDirectory(meta.toString())
          .setControllerListenerName("CONTROLLER")
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
          .setFeatureLevel(TRANSACTION_VERSION_FEATURE, transactionVersion)
          .setIgnoreFormatted(true)
          .run();
      return true;
    } catch (Exception e) {
      throw new IOException("cannot format Kafka storage in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  /** {@code 127.0.0.1:<port>}, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return LOOPBACK + ":" + port;
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return dir;
  }

  /** Blocks until the broker has shut down (e.g. from another thread or a signal). */
  public void awaitShutdown() {
    server.awaitShutdown();
  }

  /** Stops the broker; removes the data dir if it was temporary. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      if (temporary) {
        deleteRecursively(dir);
      }
      if (Thread.currentThread() != cleanupHook) {
        try {
          Runtime.getRuntime().removeShutdownHook(cleanupHook);
        } catch (IllegalStateException ignored) {
          // already shutting down: the hook runs anyway and close() is idempotent
        }
      }
      LOG.info("Kafka broker on port {} stopped", port);
    }
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + root, e);
    }
  }
}
