package dev.osprey.cli;

import dev.osprey.cli.demo.Demo;
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
      description = "Dataset to replay, repeated as needed (fixture:test is bundled; mnist:test after `data fetch mnist`). Default ${DEFAULT-VALUE}.")
  String dataset;

  @Option(names = "--samples", defaultValue = "3000", description = "Samples to replay. Default ${DEFAULT-VALUE}.")
  int samples;

  @Option(names = "--junk", defaultValue = "200", description = "Malformed records mixed in. Default ${DEFAULT-VALUE}.")
  int junk;

  @Option(names = "--feedback-fraction", defaultValue = "0.2", description = "Fraction of samples labeled. Default ${DEFAULT-VALUE}.")
  double feedbackFraction;

  @Option(names = "--rate", defaultValue = "0", description = "Samples per second, 0 = as fast as possible. Default ${DEFAULT-VALUE}.")
  double rate;

  @Option(names = "--seed", defaultValue = "42", description = "Replay seed. Default ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--drift", defaultValue = "rotate:30@1500",
      description = "Drift applied to the replay from a sample on (rotate:DEG, noise:SIGMA, blur:R, invert, skew:C=F, withhold:C; "
          + "'none' for a clean replay). Default ${DEFAULT-VALUE}.")
  String drift;

  @Option(names = "--show-metrics", description = "Also print the Prometheus text of osprey_* metrics.")
  boolean showMetrics;

  @Mixin CommonOptions common;

  @Override
  public Integer call() throws Exception {
    Path work = Files.createTempDirectory("osprey-demo-");
    try (Demo demo = new Demo(
        new Demo.Options(dataset, samples, junk, feedbackFraction, rate, seed, work, common.config().paths().registryDir(),
            Duration.ofMinutes(3), "none".equalsIgnoreCase(drift) ? null : drift),
        new Datasets(common.config().paths().dataDir()), System.out)) {
      demo.startBroker();
      demo.ensureModel();
      demo.startIngest();
      demo.startMonitor();
      demo.startExplain();
      demo.startInference();
      var sent = demo.replay();
      var arrivals = demo.awaitArrivals(sent);
      demo.awaitDriftReport(sent);
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
}
