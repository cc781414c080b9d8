package dev.osprey.cli.explain;

import dev.osprey.cli.CommonOptions;
import dev.osprey.cli.ServiceOptions;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.service.ExplainConfig;
import dev.osprey.explain.service.ExplainService;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey explain}: runs the explain service until stopped (parses options, nothing more);
 * {@code explain sample} and {@code explain sanity} are one-off subcommands.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
    description = "Explain sampled live predictions: osprey.predictions (+ samples, outcomes, drift) -> "
        + "osprey.explanations and PNG heatmaps, with the model version that made each prediction; HTTP "
        + "explain/explanations/health/metrics. Subcommands: `sample` (one sample), `sanity` (sanity check).",
    subcommands = {ExplainSampleCommand.class, ExplainSanityCommand.class})
public final class ExplainCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Mixin ServiceOptions service;

  @Option(names = "--model", description = "Registry name of the model explained (explain.model).")
  String model;

  @Option(names = "--methods", description = "Methods per chosen prediction (explain.methods). Default ig,gradcam,occlusion.")
  String methods;

  @Option(names = "--rate", description = "Predictions sampled per second of traffic (explain.sampling.rate). Default 2.")
  Double rate;

  @Option(names = "--low-confidence", description = "Explain every prediction below this confidence (explain.sampling.low.confidence). Default 0.5.")
  Double lowConfidence;

  @Option(names = "--budget-cpu", description = "CPU ceiling on explaining, a share of one core, or off (explain.budget.cpu). Default 0.05.")
  String budgetCpu;

  @Option(names = "--heatmaps", description = "Directory for PNG heatmaps (explain.heatmaps.dir). Default: none.")
  String heatmaps;

  @Option(names = "--http-port", description = "HTTP port on explain.http.host; 0 = any, -1 = off (explain.http.port). Default 9405.")
  Integer httpPort;

  /** The merged config with this command's flags applied as {@code explain.*} keys. */
  OspreyConfig config() {
    return common.flags()
        .set(ExplainConfig.KEY_MODEL, model)
        .set(ExplainConfig.KEY_METHODS, methods)
        .set(ExplainConfig.KEY_RATE, rate)
        .set(ExplainConfig.KEY_LOW_CONFIDENCE, lowConfidence)
        .set(ExplainConfig.KEY_BUDGET_CPU, budgetCpu)
        .set(ExplainConfig.KEY_HEATMAP_DIR, heatmaps)
        .set(ExplainConfig.KEY_HTTP_PORT, httpPort)
        .config();
  }

  @Override
  public Integer call() throws Exception {
    OspreyConfig cfg = config();
    ExplainConfig explain = service.parse(() -> ExplainConfig.from(cfg.source()));
    // one PyTorch thread: the service runs beside inference on few cores (before DJL's engine loads)
    System.setProperty("ai.djl.pytorch.num_threads", System.getProperty("ai.djl.pytorch.num_threads", "1"));
    System.setProperty("ai.djl.pytorch.num_interop_threads", System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
    Topics topics = service.topics(cfg);
    PrometheusMeterRegistry registry = PrometheusMetrics.newRegistry("explain");
    // no metrics server of its own: the service's HTTP serves /metrics
    service.run("explain", new ExplainService(explain, topics, registry,
            new ModelRegistry(cfg.paths().registryDir()), cfg.kafka().clientProperties()), registry, null,
        s -> "explain running: model " + s.serving().map(m -> m.ref().toString())
            .orElse("'" + explain.modelName() + "' (waiting for `osprey models activate`)") + ", methods "
            + explain.methods() + ", " + explain.sampling().ratePerSecond() + "/s + rules"
            + (s.httpPort() < 0 ? "" : "; HTTP on http://" + explain.httpHost() + ":" + s.httpPort()
                + " (/v1/explain, /v1/explanations/{id}[.png], /health, /metrics)"));
    return 0;
  }
}
