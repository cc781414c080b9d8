package dev.osprey.cli;

import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.topic.Topics;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey broker}: a standalone single-node Kafka broker on 127.0.0.1, until Ctrl-C/SIGTERM. */
@Command(name = "broker", mixinStandardHelpOptions = true,
    description = "Run an embedded single-node Kafka (KRaft) broker on 127.0.0.1 until stopped.")
public final class BrokerCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "9092", description = "Client port (0 = any free port). Default ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--dir", description = "Data directory kept across restarts (default: a temp dir removed on exit).")
  Path dir;

  @Option(names = "--partitions", defaultValue = "3", description = "Partitions per Osprey topic. Default ${DEFAULT-VALUE}.")
  int partitions;

  @Option(names = "--no-topics", description = "Do not create Osprey's topics.")
  boolean noTopics;

  @Mixin CommonOptions common;

  @Override
  public Integer call() throws Exception {
    // The shutdown hook registered by the broker closes it on SIGTERM / Ctrl-C.
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaBroker.Config(port, dir, partitions));
    if (!noTopics) {
      var props = new java.util.Properties();
      props.put("bootstrap.servers", broker.bootstrapServers());
      try (TopicAdmin admin = new TopicAdmin(props)) {
        admin.createAll(new Topics(common.config().topics().prefix(), new dev.osprey.core.event.EventCodec()),
            partitions, (short) 1);
      }
    }
    System.out.println("Kafka broker listening on " + broker.bootstrapServers() + " (data: " + broker.dataDir() + ")");
    System.out.println("Press Ctrl-C to stop.");
    broker.awaitShutdown();
    return 0;
  }
}
