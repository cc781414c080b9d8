package dev.osprey.cli.trainer;

import dev.osprey.cli.CommonOptions;
import dev.osprey.cli.ServiceOptions;
import dev.osprey.core.config.MetricsSettings;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.trainer.service.TrainerConfig;
import dev.osprey.trainer.service.TrainerService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey trainer}: parses options and runs the retraining service until stopped; nothing more. */
@Command(name = "trainer", mixinStandardHelpOptions = true,
    description = "Run the retraining loop: osprey.labeled + osprey.drift + osprey.outcomes -> fine-tune or re-distill "
        + "-> gate -> activate on osprey.models -> watch -> roll back; run log on osprey.runs; /metrics and /health.")
public final class TrainerCommand implements Callable<Integer> {
  /** Default port of the trainer's /metrics (dashboards/prometheus/prometheus.yml scrapes it). */
  public static final int DEFAULT_METRICS_PORT = 9403;

  @Mixin CommonOptions common;
  @Mixin ServiceOptions service;

  @Option(names = "--model", description = "Registry name of the served model to retrain (trainer.model).")
  String model;

  @Option(names = "--strategy", description = "auto | fine-tune | re-distill (trainer.strategy). Default auto.")
  String strategy;

  @Option(names = "--reference", description = "Reference dataset family replayed and tested against, e.g. mnist or fixture "
      + "(trainer.reference.train = NAME:train, trainer.reference.test = NAME:test). Default mnist.")
  String reference;

  @Option(names = "--instance-id", description = "Stable id of this trainer (trainer.instance.id). Default 0.")
  String instanceId;

  @Option(names = "--metrics-port", description = "Port of /metrics and /health on metrics.host; 0 = any free port, -1 = off. Default 9403.")
  Integer metricsPort;

  /** The merged config with this command's flags applied as {@code trainer.*} keys. */
  OspreyConfig config() {
    return common.flags()
        .set(TrainerConfig.KEY_MODEL, model)
        .set(TrainerConfig.KEY_STRATEGY, strategy)
        .set(TrainerConfig.KEY_INSTANCE_ID, instanceId)
        .set(TrainerConfig.KEY_REFERENCE_TRAIN, reference == null ? null : reference + ":train")
        .set(TrainerConfig.KEY_REFERENCE_TEST, reference == null ? null : reference + ":test")
        .set("metrics.port", metricsPort)
        .config();
  }

  @Override
  public Integer call() throws Exception {
    OspreyConfig cfg = config();
    TrainerConfig trainer = service.parse(() -> TrainerConfig.from(cfg.source()));
    Topics topics = service.topics(cfg);
    PrometheusMeterRegistry registry = PrometheusMetrics.newRegistry("trainer");
    service.run("trainer", new TrainerService(trainer, topics, registry, new ModelRegistry(cfg.paths().registryDir()),
            cfg.kafka().clientProperties(), new Datasets(cfg.paths().dataDir())), registry,
        MetricsSettings.from(cfg.source(), DEFAULT_METRICS_PORT),
        s -> "trainer running for model '" + trainer.modelName() + "' (serving v" + s.servingVersion() + "): "
            + topics.labeled().name() + ", " + topics.drift().name() + ", " + topics.outcomes().name() + " -> "
            + topics.models().name() + "; run log " + topics.runs().name());
    return 0;
  }
}
