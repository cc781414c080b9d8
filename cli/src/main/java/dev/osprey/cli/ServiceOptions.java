package dev.osprey.cli;

import dev.osprey.core.config.MetricsSettings;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.metrics.MetricsServer;
import dev.osprey.core.service.Health;
import dev.osprey.core.service.OspreyService;
import dev.osprey.core.service.ServiceStartException;
import dev.osprey.core.service.ServiceRunner;
import dev.osprey.core.topic.Topics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What every long-running service command shares (a picocli mixin beside {@link CommonOptions}):
 * a bad config value reported as a usage error, {@code --create-topics}, and running the service
 * until Ctrl-C, with a {@code /metrics} server where the service has no HTTP of its own.
 */
public final class ServiceOptions {
  @Spec(Spec.Target.MIXEE) CommandSpec command;

  private final ServiceRunner runner = new ServiceRunner();

  @Option(names = "--create-topics", description = "Create missing Osprey topics first (topics.partitions, topics.replication.factor).")
  boolean createTopics;

  /** The service's typed config from {@code parser}; an invalid value is a usage error, as a bad flag is. */
  public <C> C parse(Supplier<C> parser) {
    try {
      return parser.get();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage(), e);
    }
  }

  /** The topics under the config's prefix, created first where {@code --create-topics} asks for it. */
  public Topics topics(OspreyConfig cfg) throws InterruptedException, TimeoutException {
    Topics topics = new Topics(cfg.topics().prefix(), new EventCodec());
    if (createTopics) {
      try (TopicAdmin admin = new TopicAdmin(cfg.kafka().clientProperties())) {
        admin.createAll(topics, cfg.topics().partitions(), cfg.topics().replicationFactor());
      }
    }
    return topics;
  }

  /** Ends {@link #run} as Ctrl-C would (tests, embedding). */
  public ServiceRunner runner() {
    return runner;
  }

  /**
   * Runs {@code service} until Ctrl-C and closes it. {@code metrics} serves {@code registry} on its
   * own port, with {@code /health} up while the service is live (null: the service's HTTP serves
   * {@code /metrics} itself); {@code banner} says what runs where once it runs.
   */
  public <S extends OspreyService> void run(String name, S service, PrometheusMeterRegistry registry,
      MetricsSettings metrics, Function<? super S, String> banner)
      throws IOException, ServiceStartException, InterruptedException {
    run(name, service, registry, metrics, Health::live, banner);
  }

  /** {@link #run(String, OspreyService, PrometheusMeterRegistry, MetricsSettings, Function)} with {@code /health} up while {@code healthy}. */
  public <S extends OspreyService> void run(String name, S service, PrometheusMeterRegistry registry,
      MetricsSettings metrics, Predicate<Health> healthy, Function<? super S, String> banner)
      throws IOException, ServiceStartException, InterruptedException {
    try (service;
        MetricsServer server = metrics != null && metrics.enabled()
            ? new MetricsServer(metrics, registry, () -> healthy.test(service.health()))
            : null) {
      runner.run(service, name, s -> {
        System.out.println(banner.apply(s)
            + (server == null ? "" : "; metrics on http://" + metrics.host() + ":" + server.port() + "/metrics"));
        System.out.println("Press Ctrl-C to stop.");
      });
    }
  }
}
