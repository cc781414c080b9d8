package dev.osprey.cli.trainer;

import dev.osprey.cli.CommonOptions;
import dev.osprey.core.config.ConfigSource;
import dev.osprey.core.config.MetricsSettings;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.metrics.MetricsServer;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.service.ServiceRunner;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.trainer.service.TrainerConfig;
import dev.osprey.trainer.service.TrainerService;
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

/** {@code osprey trainer}: parses options and runs the retraining service until stopped; nothing more. */
@Command(name = "trainer", mixinStandardHelpOptions = true,
    description = "Run the retraining loop: osprey.labeled + osprey.drift + osprey.outcomes -> fine-tune or re-distill "
        + "-> gate -> activate on osprey.models -> watch -> roll back; run log on osprey.runs; /metrics and /health.")
public final class TrainerCommand implements Callable<Integer> {
  /** Default port of the trainer's /metrics (dashboards/prometheus/prometheus.yml scrapes it). */
  public static final int DEFAULT_METRICS_PORT = 9403;

  @Mixin CommonOptions common;
  @Spec CommandSpec spec;

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

  @Option(names = "--create-topics", description = "Create missing Osprey topics first (topics.partitions, topics.replication.factor).")
  boolean createTopics;

  /** The merged config with this command's flags applied as {@code trainer.*} keys. */
  OspreyConfig config() {
    Map<String, String> merged = new LinkedHashMap<>(common.source().asMap());
    put(merged, TrainerConfig.KEY_MODEL, model);
    put(merged, TrainerConfig.KEY_STRATEGY, strategy);
    put(merged, TrainerConfig.KEY_INSTANCE_ID, instanceId);
    if (reference != null) {
      merged.put(TrainerConfig.KEY_REFERENCE_TRAIN, reference + ":train");
      merged.put(TrainerConfig.KEY_REFERENCE_TEST, reference + ":test");
    }
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
    TrainerConfig trainer;
    try {
      trainer = TrainerConfig.from(cfg.source());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Topics topics = new Topics(cfg.topics().prefix(), new EventCodec());
    if (createTopics) {
      try (TopicAdmin admin = new TopicAdmin(cfg.kafka().clientProperties())) {
        admin.createAll(topics, cfg.topics().partitions(), cfg.topics().replicationFactor());
      }
    }
    PrometheusMeterRegistry registry = PrometheusMetrics.newRegistry("trainer");
    MetricsSettings metrics = MetricsSettings.from(cfg.source(), DEFAULT_METRICS_PORT);
    try (TrainerService service = new TrainerService(trainer, topics, registry, new ModelRegistry(cfg.paths().registryDir()),
            cfg.kafka().clientProperties(), new Datasets(cfg.paths().dataDir()));
        MetricsServer server = metrics.enabled() ? new MetricsServer(metrics, registry, () -> service.health().live()) : null) {
      new ServiceRunner().run(service, "trainer", s -> {
        System.out.println("trainer running for model '" + trainer.modelName() + "' (serving v" + s.servingVersion() + "): "
            + topics.labeled().name() + ", " + topics.drift().name() + ", " + topics.outcomes().name() + " -> "
            + topics.models().name() + "; run log " + topics.runs().name()
            + (server == null ? "" : "; metrics on http://" + metrics.host() + ":" + server.port() + "/metrics"));
        System.out.println("Press Ctrl-C to stop.");
      });
    }
    return 0;
  }
}
