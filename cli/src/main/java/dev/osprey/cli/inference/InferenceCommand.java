package dev.osprey.cli.inference;

import dev.osprey.cli.CommonOptions;
import dev.osprey.cli.ServiceOptions;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.topic.Topics;
import dev.osprey.inference.InferenceConfig;
import dev.osprey.inference.InferenceService;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey inference}: parses options and runs the inference service until stopped; nothing more. */
@Command(name = "inference", mixinStandardHelpOptions = true,
    description = "Serve the production model: osprey.samples -> osprey.predictions (exactly once), "
        + "hot-swapped from osprey.models; HTTP predict/models/health/ready/metrics.")
public final class InferenceCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Mixin ServiceOptions service;

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

  /** The merged config with this command's flags applied as {@code inference.*} keys. */
  OspreyConfig config() {
    return common.flags()
        .set(InferenceConfig.KEY_MODEL, model)
        .set(InferenceConfig.KEY_RUNTIME, runtime)
        .set(InferenceConfig.KEY_MAX_BATCH_SIZE, batchSize)
        .set(InferenceConfig.KEY_MAX_BATCH_DELAY, batchDelay)
        .set(InferenceConfig.KEY_INSTANCE_ID, instanceId)
        .set(InferenceConfig.KEY_HTTP_PORT, httpPort)
        .config();
  }

  @Override
  public Integer call() throws Exception {
    OspreyConfig cfg = config();
    InferenceConfig inference = service.parse(() -> InferenceConfig.from(cfg.source()));
    Topics topics = service.topics(cfg);
    PrometheusMeterRegistry registry = PrometheusMetrics.newRegistry("inference");
    // no metrics server of its own: the service's HTTP serves /metrics
    service.run("inference", new InferenceService(inference, topics, registry,
            new ModelRegistry(cfg.paths().registryDir()), cfg.kafka().clientProperties()), registry, null,
        s -> "inference running: model " + s.serving().map(m -> m.ref() + " (" + m.runtime() + " "
            + m.precision() + ")").orElse("'" + inference.modelName() + "' (waiting for `osprey models activate`)")
            + (s.httpPort() < 0 ? "" : "; HTTP on http://" + inference.httpHost() + ":" + s.httpPort()
                + " (/v1/predict, /v1/models, /health, /ready, /metrics)"));
    return 0;
  }
}
