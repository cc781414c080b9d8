package dev.osprey.cli.inference;

import dev.osprey.cli.CommonOptions;
import dev.osprey.core.config.ConfigSource;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.service.ServiceRunner;
import dev.osprey.core.topic.Topics;
import dev.osprey.inference.InferenceConfig;
import dev.osprey.inference.InferenceService;
import dev.osprey.model.registry.ModelRegistry;
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

/** {@code osprey inference}: parses options and runs the inference service until stopped; nothing more. */
@Command(name = "inference", mixinStandardHelpOptions = true,
    description = "Serve the production model: osprey.samples -> osprey.predictions (exactly once), "
        + "hot-swapped from osprey.models; HTTP predict/models/health/ready/metrics.")
public final class InferenceCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Spec CommandSpec spec;

  @Option(names = "--model", description = "Registry name of the model to serve (inference.model).")
  String model;

  @Option(names = "--runtime", description = "auto | onnx-cpu | onnx-tensorrt | pytorch (inference.runtime). Default onnx-cpu.")
  String runtime;

  @Option(names = "--batch-size", description = "Most samples per model call and transaction (inference.batch.max.size). Default 64.")
  Integer batchSize;

  @Option(names = "--batch-delay", description = "Longest wait for a batch to fill, ISO-8601 (inference.batch.max.delay). Default PT0.01S.")
  String batchDelay;

  @Option(names = "--instance-id", description = "Stable id of this instance in its group (inference.instance.id). Default 0.")
  String instanceId;

  @Option(names = "--http-port", description = "HTTP port on inference.http.host; 0 = any free port, -1 = off (inference.http.port). Default 9402.")
  Integer httpPort;

  @Option(names = "--create-topics", description = "Create missing Osprey topics first (topics.partitions, topics.replication.factor).")
  boolean createTopics;

  /** The merged config with this command's flags applied as {@code inference.*} keys. */
  OspreyConfig config() {
    Map<String, String> merged = new LinkedHashMap<>(common.source().asMap());
    put(merged, InferenceConfig.KEY_MODEL, model);
    put(merged, InferenceConfig.KEY_RUNTIME, runtime);
    put(merged, InferenceConfig.KEY_MAX_BATCH_SIZE, batchSize);
    put(merged, InferenceConfig.KEY_MAX_BATCH_DELAY, batchDelay);
    put(merged, InferenceConfig.KEY_INSTANCE_ID, instanceId);
    put(merged, InferenceConfig.KEY_HTTP_PORT, httpPort);
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
    InferenceConfig inference;
    try {
      inference = InferenceConfig.from(cfg.source());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Topics topics = new Topics(cfg.topics().prefix(), new EventCodec());
    if (createTopics) {
      try (TopicAdmin admin = new TopicAdmin(cfg.kafka().clientProperties())) {
        admin.createAll(topics, cfg.topics().partitions(), cfg.topics().replicationFactor());
      }
    }
    PrometheusMeterRegistry registry = PrometheusMetrics.newRegistry("inference");
    try (InferenceService service = new InferenceService(inference, topics, registry,
        new ModelRegistry(cfg.paths().registryDir()), cfg.kafka().clientProperties())) {
      new ServiceRunner().run(service, "inference", s -> {
        System.out.println("inference running: model " + s.serving().map(m -> m.ref() + " (" + m.runtime() + " "
            + m.precision() + ")").orElse("'" + inference.modelName() + "' (waiting for `osprey models activate`)")
            + (s.httpPort() < 0 ? "" : "; HTTP on http://" + inference.httpHost() + ":" + s.httpPort()
                + " (/v1/predict, /v1/models, /health, /ready, /metrics)"));
        System.out.println("Press Ctrl-C to stop.");
      });
    }
    return 0;
  }
}
