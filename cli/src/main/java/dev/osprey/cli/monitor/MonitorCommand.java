package dev.osprey.cli.monitor;

import dev.osprey.cli.CommonOptions;
import dev.osprey.cli.ServiceOptions;
import dev.osprey.core.config.MetricsSettings;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.monitor.service.MonitorConfig;
import dev.osprey.monitor.service.MonitorService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey monitor}: parses options and runs the monitor service until stopped; nothing more. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
    description = "Watch the models: drift detectors on osprey.predictions, online quality and estimated accuracy "
        + "from osprey.outcomes, alarms to osprey.drift (exactly once), /metrics and /health.",
    subcommands = {MonitorReportCommand.class})
public final class MonitorCommand implements Callable<Integer> {
  /** Default port of the monitor's /metrics endpoint. */
  public static final int DEFAULT_METRICS_PORT = 9404;

  @Mixin CommonOptions common;
  @Mixin ServiceOptions service;

  @Option(names = "--application-id", description = "Consumer group, transactional id and state topic name (monitor.application.id). Default osprey-monitor.")
  String applicationId;

  @Option(names = "--ert", description = "Expected run time between false alarms, samples (monitor.drift.ert). Default 10000.")
  Double ert;

  @Option(names = "--window", description = "Samples in each detector's window (monitor.drift.window). Default 200.")
  Integer window;

  @Option(names = "--input-summaries", description = "Join samples for the input-summary detector, keeping at most this many waiting (monitor.input.summaries.buffer). 0 = off. Default 8192.")
  Integer summaryBuffer;

  @Option(names = "--metrics-port", description = "Port of /metrics on metrics.host; 0 = any free port, -1 = off. Default 9404.")
  Integer metricsPort;

  /** The merged config with this command's flags applied as {@code monitor.*} keys. */
  OspreyConfig config() {
    return common.flags()
        .set(MonitorConfig.KEY_APPLICATION_ID, applicationId)
        .set(MonitorConfig.KEY_ERT, ert)
        .set(MonitorConfig.KEY_WINDOW, window)
        .set(MonitorConfig.KEY_SUMMARY_BUFFER, summaryBuffer)
        .set("metrics.port", metricsPort)
        .config();
  }

  @Override
  public Integer call() throws Exception {
    OspreyConfig cfg = config();
    MonitorConfig monitor = service.parse(() -> MonitorConfig.from(cfg.source(), cfg.kafka().clientProperties()));
    Topics topics = service.topics(cfg);
    PrometheusMeterRegistry registry = PrometheusMetrics.newRegistry("monitor");
    service.run("monitor", new MonitorService(monitor, topics, registry, new ModelRegistry(cfg.paths().registryDir()),
            cfg.kafka().clientProperties()), registry, MetricsSettings.from(cfg.source(), DEFAULT_METRICS_PORT),
        s -> "monitor running: " + topics.predictions().name() + " + " + topics.outcomes().name()
            + " -> " + topics.drift().name() + " (ERT " + (long) monitor.settings().drift().ertSamples()
            + " samples, window " + monitor.settings().drift().windowSize() + ", state in " + s.stateTopic() + ")");
    return 0;
  }
}
