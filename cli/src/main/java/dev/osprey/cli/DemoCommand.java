package dev.osprey.cli;

import dev.osprey.cli.demo.Demo;
import dev.osprey.cli.demo.LoopScenario;
import dev.osprey.cli.demo.ServiceLogFile;
import dev.osprey.core.data.Datasets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey demo}: the whole flow on an embedded broker, then a report and a clean exit. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start an embedded Kafka broker, get a model (the registry's latest 'digits', or train and publish one), "
        + "start ingest, the monitor and inference, replay real MNIST (clean, then drifted) with junk and labels mixed in while "
        + "showing live throughput and online accuracy, report when the monitor flagged the drift, and what arrived where. "
        + "Needs nothing but Java.")
public final class DemoCommand implements Callable<Integer> {
  // the test split: the demo model trains on fixture:train, so online accuracy is on unseen images
  @Option(names = "--dataset", defaultValue = "fixture:test",
      description = "Dataset to replay, repeated as needed (fixture:test is bundled; mnist:test after `data fetch mnist`; "
          + "NAME:SPLIT@FROM-TO for a range of it, e.g. mnist:train@10000-60000). Default ${DEFAULT-VALUE}.")
  String dataset;

  @Option(names = "--samples", description = "Samples to replay. Default 3000; with --scenario drift, the most to replay "
      + "(it stops 1500 samples after the swap), default 20000.")
  Integer samples;

  @Option(names = "--junk", defaultValue = "200", description = "Malformed records mixed in. Default ${DEFAULT-VALUE}.")
  int junk;

  @Option(names = "--feedback-fraction", defaultValue = "0.2", description = "Fraction of samples labeled. Default ${DEFAULT-VALUE}.")
  double feedbackFraction;

  @Option(names = "--rate", description = "Samples per second, 0 = as fast as possible. Default 0; with --scenario drift 100 "
      + "(the loop needs a rate: labels are counted by their samples' replay times).")
  Double rate;

  @Option(names = "--seed", defaultValue = "42", description = "Replay seed. Default ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--drift", defaultValue = "rotate:30@1500",
      description = "Drift applied to the replay from a sample on (rotate:DEG, noise:SIGMA, blur:R, invert, skew:C=F, withhold:C; "
          + "'none' for a clean replay). Default ${DEFAULT-VALUE}.")
  String drift;

  @Option(names = "--scenario", defaultValue = "default",
      description = "default: the services and a drifting replay. drift: the closed loop as well: the trainer (in-process, demo "
          + "settings for a quick run) fine-tunes on the labels after the monitor's drift alarm, the gate passes, the model is "
          + "swapped under load, accuracy recovers; prints the loop's timeline. Default ${DEFAULT-VALUE}.")
  String scenario;

  @Option(names = "--strategy", defaultValue = "fine-tune",
      description = "With --scenario drift: the trainer's strategy, fine-tune, re-distill or auto (re-distill needs the served "
          + "model's teacher in the registry; without it the trainer fine-tunes and says why). Default ${DEFAULT-VALUE}.")
  String strategy;

  @Option(names = "--show-metrics", description = "Also print the Prometheus text of osprey_* metrics.")
  boolean showMetrics;

  @Option(names = "--log-file", description = "Where the services' log lines go while the demo runs (warnings and errors "
      + "also to the console); '-' keeps them all on the console. Default: osprey-demo.log beside the registry.")
  String logFile;

  @Mixin CommonOptions common;

  @Override
  public Integer call() throws Exception {
    boolean loop = switch (scenario.toLowerCase(java.util.Locale.ROOT)) {
      case "default" -> false;
      case "drift" -> true;
      default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--scenario must be default or drift, got '" + scenario + "'");
    };
    LoopScenario settings = loop ? withStrategy(LoopScenario.defaults(), strategy) : null;
    Path registry = common.config().paths().registryDir();
    Path work = Files.createTempDirectory("osprey-demo-");
    Path logPath = logFile == null ? registry.toAbsolutePath().getParent().resolve("osprey-demo.log")
        : "-".equals(logFile) ? null : Path.of(logFile);
    // The demo keeps ingest's Kafka Streams state in a temporary directory on purpose (removed at
    // the end): Streams' warning against state in the OS temp directory is not meant for it.
    if (org.slf4j.LoggerFactory.getLogger("org.apache.kafka.streams.processor.internals.StateDirectory")
        instanceof ch.qos.logback.classic.Logger stateDirectory) {
      stateDirectory.setLevel(ch.qos.logback.classic.Level.ERROR);
    }
    if (logPath != null) {
      Files.createDirectories(logPath.toAbsolutePath().getParent());
      System.out.println("service logs: " + logPath.toAbsolutePath() + " (warnings and errors here too)");
    }
    try (ServiceLogFile log = logPath == null ? null : ServiceLogFile.open(logPath);
        Demo demo = new Demo(
        new Demo.Options(dataset, samples != null ? samples : loop ? 20_000 : 3000, junk, feedbackFraction,
            rate != null ? rate : loop ? 100 : 0, seed, work, registry, Duration.ofMinutes(3),
            "none".equalsIgnoreCase(drift) ? null : drift, settings),
        new Datasets(common.config().paths().dataDir()), System.out)) {
      demo.startBroker();
      var model = demo.ensureModel();
      demo.startIngest();
      demo.startMonitor();
      demo.startExplain();
      demo.startInference();
      if (loop) {
        demo.startTrainer();
      }
      var sent = demo.replay();
      var arrivals = demo.awaitArrivals(sent);
      var driftSummary = demo.awaitDriftReport(sent);
      if (loop) {
        demo.awaitLoop(sent, driftSummary, model.manifest().version());
      }
      demo.writeTimeline();
      boolean ok = demo.report(sent, arrivals);
      if (showMetrics) {
        demo.scrape().lines().filter(l -> l.startsWith("osprey_")).forEach(System.out::println);
      }
      return ok ? 0 : 1;
    } finally {
      try (var walk = Files.walk(work)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static LoopScenario withStrategy(LoopScenario l, String strategy) {
    return new LoopScenario(l.driftMinLabels(), l.samplesAfterSwap(), l.epochs(), strategy, l.referenceTrain(), l.referenceTest(), l.cooldown());
  }
}
