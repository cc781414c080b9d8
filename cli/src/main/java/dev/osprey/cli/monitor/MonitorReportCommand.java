package dev.osprey.cli.monitor;

import dev.osprey.cli.CommonOptions;
import dev.osprey.core.config.ConfigSource;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.monitor.report.MonitorReport;
import dev.osprey.monitor.report.MonitorTimeline;
import dev.osprey.monitor.service.MonitorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code osprey monitor report}: parses options, builds the timeline from the topics, writes the PNG; nothing more. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Render a PNG timeline over sample index from the topics (read_committed, beginning to end): realized and "
        + "estimated accuracy, drift statistics over their thresholds, alarms, model versions served, retraining runs.")
public final class MonitorReportCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Spec CommandSpec spec;

  @Option(names = "--model", defaultValue = "digits", description = "Model whose predictions make the x axis. Default ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--out", defaultValue = "monitor-report.png", description = "PNG to write. Default ${DEFAULT-VALUE}.")
  Path out;

  @Option(names = "--accuracy-window", defaultValue = "200", description = "Outcomes (realized) and predictions (CBPE) per accuracy point. Default ${DEFAULT-VALUE}.")
  int accuracyWindow;

  @Option(names = "--step", defaultValue = "10", description = "Keep a point every N predictions. Default ${DEFAULT-VALUE}.")
  int step;

  @Option(names = "--no-scores", description = "Do not recompute the detectors' statistics (no calibration; alarms from osprey.drift only).")
  boolean noScores;

  @Option(names = "--ert", description = "The monitor's ERT, if it was not the configured one (monitor.drift.ert).")
  Double ert;

  @Option(names = "--window", description = "The monitor's detector window, if not the configured one (monitor.drift.window).")
  Integer window;

  @Option(names = "--timeout", defaultValue = "PT2M", description = "How long reading one topic to its end may take. Default ${DEFAULT-VALUE}.")
  Duration timeout;

  /** The merged config with this command's flags applied as {@code monitor.*} keys. */
  OspreyConfig config() {
    Map<String, String> merged = new LinkedHashMap<>(common.source().asMap());
    if (ert != null) {
      merged.put(MonitorConfig.KEY_ERT, ert.toString());
    }
    if (window != null) {
      merged.put(MonitorConfig.KEY_WINDOW, window.toString());
    }
    return OspreyConfig.from(ConfigSource.of(merged));
  }

  /**
   * @throws IllegalArgumentException for a bad option or config value
   */
  MonitorReport.Options options(OspreyConfig cfg) {
    MonitorConfig monitor = MonitorConfig.from(cfg.source(), cfg.kafka().clientProperties());
    return new MonitorReport.Options(model, accuracyWindow, step, !noScores, monitor.settings().drift(), timeout);
  }

  @Override
  public Integer call() throws Exception {
    OspreyConfig cfg = config();
    MonitorReport.Options options;
    try {
      options = options(cfg);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Topics topics = new Topics(cfg.topics().prefix(), new EventCodec());
    MonitorTimeline t = new MonitorReport(cfg.kafka().clientProperties(), topics, new ModelRegistry(cfg.paths().registryDir()))
        .write(options, out);
    System.out.println("wrote " + out + ": " + t.predictions() + " predictions of " + t.model() + ", versions "
        + t.versions().stream().map(v -> v.version() + " [" + v.start() + ".." + v.end() + "]").toList()
        + ", " + t.alarms().size() + " alarms, " + t.runs().size() + " run steps");
    return 0;
  }
}
