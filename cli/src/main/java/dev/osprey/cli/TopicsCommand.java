package dev.osprey.cli;

import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.topic.Topics;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code osprey topics create}: creates Osprey's topics on any cluster (idempotent). */
@Command(name = "topics", mixinStandardHelpOptions = true, description = "Manage Osprey's Kafka topics.",
    subcommands = {TopicsCommand.Create.class})
public final class TopicsCommand {
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create every Osprey topic that is missing (topics.partitions, topics.replication.factor).")
  static final class Create implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
      OspreyConfig cfg = common.config();
      Topics topics = new Topics(cfg.topics().prefix(), new EventCodec());
      try (TopicAdmin admin = new TopicAdmin(cfg.kafka().clientProperties())) {
        var created = admin.createAll(topics, cfg.topics().partitions(), cfg.topics().replicationFactor());
        System.out.println("created " + created.size() + " topic(s): " + created);
      }
      return 0;
    }
  }
}
