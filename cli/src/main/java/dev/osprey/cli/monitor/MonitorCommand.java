package dev.osprey.cli.monitor;

import dev.osprey.cli.CommonOptions;
import dev.osprey.core.config.ConfigSource;
import dev.osprey.core.config.MetricsSettings;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.metrics.MetricsServer;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.service.ServiceRunner;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.monitor.service.MonitorConfig;
import dev.osprey.monitor.service.MonitorService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code osprey monitor}: parses options and runs the monitor service until stopped; nothing more. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
    description = "Watch the models: drift detectors on osprey.predictions, online quality and estimated accuracy "
        + "from osprey.outcomes, alarms to osprey.drift (exactly once), /metrics and /health.",
    subcommands = {MonitorReportCommand.class})
public final class MonitorCommand implements Callable<Integer> {
  /** Default port of the monitor's /metrics endpoint. */
  public static final int DEFAULT_METRICS_PORT = 9404;

  @Mixin CommonOptions common;
  @Spec CommandSpec spec;

  @Option(names = "--application-id", description = "Consumer group, transactional id and state topic name (monitor.application.id). Default osprey-monitor.")
  String applicationId;

  @Option(names = "--ert", description = "Expected run time between false alarms, samples (monitor.drift.ert). Default 10000.")
  Double ert;

  @Option(names = "--window", description = "Samples in each detector's window (monitor.drift.window). Default 200.")
  Integer window;

  @Option(names = "--input-summaries", description = "Join samples for the input-summary detector, keeping at most this many waiting (monitor.input.summaries.buffer). Default 0 = off.")
  Integer summaryBuffer;

  @Option(names = "--metrics-port", description = "Port of /metrics on metrics.host; 0 = any free port, -1 = off. Default 9404.")
  Integer metricsPort;

  @Option(names = "--create-topics", description = "Create missing Osprey topics first (topics.partitions, topics.replication.factor).")
  boolean createTopics;

  /** The merged config with this command's flags applied as {@code monitor.*} keys. */
  OspreyConfig config() {
    Map<String, String> merged = new LinkedHashMap<>(common.source().asMap());
    put(merged, MonitorConfig.KEY_APPLICATION_ID, applicationId);
    put(merged, MonitorConfig.KEY_ERT, ert);
    put(merged, MonitorConfig.KEY_WINDOW, window);
    put(merged, MonitorConfig.KEY_SUMMARY_BUFFER, summaryBuffer);
    put(merged, "metrics.port", metricsPort);
    return OspreyConfig.from(ConfigSource.of(merged));
  }

  private static void put(Map<String, String> m, String key, Object value) {
    if (value != null) {
      m.put(key, value.toString());
    }
  }

  @Override
  public Integer call() throws Exception {
    OspreyConfig cfg = config();
    MonitorConfig monitor;
    try {
      monitor = MonitorConfig.from(cfg.source(), cfg.kafka().clientProperties());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Topics topics = new Topics(cfg.topics().prefix(), new EventCodec());
    if (createTopics) {
      try (TopicAdmin admin = new TopicAdmin(cfg.kafka().clientProperties())) {
        admin.createAll(topics, cfg.topics().partitions(), cfg.topics().replicationFactor());
      }
    }
    PrometheusMeterRegistry registry = PrometheusMetrics.newRegistry("monitor");
    MetricsSettings metrics = MetricsSettings.from(cfg.source(), DEFAULT_METRICS_PORT);
    try (MonitorService service = new MonitorService(monitor, topics, registry,
            new ModelRegistry(cfg.paths().registryDir()), cfg.kafka().clientProperties());
        MetricsServer server = metrics.enabled()
            ? new MetricsServer(metrics, registry, () -> service.health().live())
            : null) {
      new ServiceRunner().run(service, "monitor", s -> {
        System.out.println("monitor running: " + topics.predictions().name() + " + " + topics.outcomes().name()
            + " -> " + topics.drift().name() + " (ERT " + (long) monitor.settings().drift().ertSamples()
            + " samples, window " + monitor.settings().drift().windowSize() + ", state in " + s.stateTopic() + ")"
            + (server == null ? "" : "; metrics on http://" + metrics.host() + ":" + server.port() + "/metrics"));
        System.out.println("Press Ctrl-C to stop.");
      });
    }
    return 0;
  }
}
