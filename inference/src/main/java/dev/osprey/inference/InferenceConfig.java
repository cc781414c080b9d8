package dev.osprey.inference;

import dev.osprey.core.config.ConfigSource;
import dev.osprey.model.runtime.RuntimeKind;
import dev.osprey.model.serving.ServingOptions;
import dev.osprey.model.runtime.TensorRtOptions;
import java.time.Duration;
import java.util.Locale;

/**
 * Configuration of the inference service, validated at construction (every message names the
 * field and the value). Read from {@code inference.*} keys by {@link #from(ConfigSource)}; see
 * docs/inference.md for each key.
 *
 * @param modelName registry name of the model to serve; activations of other names are ignored
 * @param groupId Kafka consumer group; instances with the same group share the sample partitions
 * @param instanceId stable id of this instance within the group; the transactional id is
 *     {@code <groupId>-<instanceId>}, so a restarted instance fences its own zombie. Give every
 *     instance its own (e.g. a StatefulSet ordinal).
 * @param maxBatchSize most samples in one model call and one Kafka transaction, >= 1
 * @param maxBatchDelay longest a sample waits for its batch to fill, >= 0
 * @param runtime which engine runs the model (this and the next five make {@link #serving()})
 * @param precision which precision plan of a version to serve: {@code auto} (default: the plan the
 *     version records as fastest on this host within the accuracy bound, measured at load on a host it
 *     has no figures for; the full QDQ int8 graph on TensorRT), {@code int8}, {@code fp32}, or a plan
 *     name ({@code int8-mixed}, {@code int8-matmul}); see {@link ServingOptions#precision()}
 * @param intraOpThreads ONNX Runtime threads inside one operator, >= 1
 * @param interOpThreads ONNX Runtime threads across operators, >= 1
 * @param tensorRt TensorRT execution provider settings (used by runtimes auto and onnx-tensorrt);
 *     the engine cache directory gets one subdirectory per model version
 * @param warmupBatches batches run on a freshly loaded model before it serves, >= 0
 * @param emitEmbedding include the embedding in each prediction
 * @param httpHost bind address of the HTTP API; loopback by default
 * @param httpPort HTTP port; 0 picks a free one, -1 disables HTTP
 * @param maxRequestBytes largest HTTP request body, > 0
 * @param adminToken bearer token of the admin endpoints, or null to disable them
 * @param startTimeout how long {@link InferenceService#start()} waits for the models topic to be
 *     read (and the production model loaded)
 */
public record InferenceConfig(
    String modelName,
    String groupId,
    String instanceId,
    int maxBatchSize,
    Duration maxBatchDelay,
    RuntimeKind runtime,
    String precision,
    int intraOpThreads,
    int interOpThreads,
    TensorRtOptions tensorRt,
    int warmupBatches,
    boolean emitEmbedding,
    String httpHost,
    int httpPort,
    int maxRequestBytes,
    String adminToken,
    Duration startTimeout) {

  public static final String PRECISION_AUTO = ServingOptions.PRECISION_AUTO;
  public static final String PRECISION_INT8 = ServingOptions.PRECISION_INT8;
  public static final String PRECISION_FP32 = ServingOptions.PRECISION_FP32;
  public static final String DEFAULT_GROUP_ID = "osprey-inference";
  public static final String DEFAULT_INSTANCE_ID = "0";
  public static final int DEFAULT_MAX_BATCH_SIZE = 64;
  public static final Duration DEFAULT_MAX_BATCH_DELAY = Duration.ofMillis(10);
  public static final int DEFAULT_HTTP_PORT = 9402;
  public static final int DEFAULT_MAX_REQUEST_BYTES = 4 << 20;
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);
  public static final String DEFAULT_TENSORRT_CACHE_DIR = ".osprey/tensorrt-cache";

  private static final String ID_CHARS = "[A-Za-z0-9._-]+";

  /** @throws IllegalArgumentException naming the field and value when one is invalid */
  public InferenceConfig {
    requireId("modelName", modelName);
    requireId("groupId", groupId);
    requireId("instanceId", instanceId);
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
    }
    if (maxBatchDelay == null || maxBatchDelay.isNegative()) {
      throw new IllegalArgumentException("maxBatchDelay must be >= 0, got " + maxBatchDelay);
    }
    new ServingOptions(runtime, precision, intraOpThreads, interOpThreads, tensorRt, warmupBatches, maxBatchSize);
    if (httpHost == null || httpHost.isBlank()) {
      throw new IllegalArgumentException("httpHost must not be empty, got '" + httpHost + "'");
    }
    if (httpPort < -1 || httpPort > 65535) {
      throw new IllegalArgumentException("httpPort must be -1..65535, got " + httpPort);
    }
    if (maxRequestBytes < 1) {
      throw new IllegalArgumentException("maxRequestBytes must be > 0, got " + maxRequestBytes);
    }
    if (adminToken != null && adminToken.length() < 16) {
      throw new IllegalArgumentException("adminToken must be at least 16 characters (or unset to disable admin), got "
          + adminToken.length());
    }
    if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("startTimeout must be > 0, got " + startTimeout);
    }
  }

  private static void requireId(String field, String value) {
    if (value == null || !value.matches(ID_CHARS)) {
      throw new IllegalArgumentException(field + " '" + value + "' must be non-empty and use only [A-Za-z0-9._-]");
    }
  }

  /** Defaults for everything but the model name: CPU, precision auto, batches of 64 within 10 ms, HTTP on 127.0.0.1:9402. */
  public static InferenceConfig of(String modelName) {
    return new InferenceConfig(modelName, DEFAULT_GROUP_ID, DEFAULT_INSTANCE_ID, DEFAULT_MAX_BATCH_SIZE,
        DEFAULT_MAX_BATCH_DELAY, RuntimeKind.ONNX_CPU, PRECISION_AUTO, 1, 1,
        TensorRtOptions.int8(DEFAULT_TENSORRT_CACHE_DIR), 3, false, "127.0.0.1", DEFAULT_HTTP_PORT,
        DEFAULT_MAX_REQUEST_BYTES, null, DEFAULT_START_TIMEOUT);
  }

  /** Config keys (see docs/inference.md). */
  public static final String KEY_MODEL = "inference.model";
  public static final String KEY_GROUP_ID = "inference.group.id";
  public static final String KEY_INSTANCE_ID = "inference.instance.id";
  public static final String KEY_MAX_BATCH_SIZE = "inference.batch.max.size";
  public static final String KEY_MAX_BATCH_DELAY = "inference.batch.max.delay";
  public static final String KEY_RUNTIME = "inference.runtime";
  public static final String KEY_PRECISION = "inference.precision";
  public static final String KEY_INTRA_OP_THREADS = "inference.threads.intra.op";
  public static final String KEY_INTER_OP_THREADS = "inference.threads.inter.op";
  public static final String KEY_TRT_DEVICE = "inference.tensorrt.device";
  public static final String KEY_TRT_INT8 = "inference.tensorrt.int8";
  public static final String KEY_TRT_FP16 = "inference.tensorrt.fp16";
  public static final String KEY_TRT_ENGINE_CACHE = "inference.tensorrt.engine.cache";
  public static final String KEY_TRT_ENGINE_CACHE_DIR = "inference.tensorrt.engine.cache.dir";
  public static final String KEY_TRT_WORKSPACE_BYTES = "inference.tensorrt.workspace.bytes";
  public static final String KEY_WARMUP_BATCHES = "inference.warmup.batches";
  public static final String KEY_EMIT_EMBEDDING = "inference.emit.embedding";
  public static final String KEY_HTTP_HOST = "inference.http.host";
  public static final String KEY_HTTP_PORT = "inference.http.port";
  public static final String KEY_MAX_REQUEST_BYTES = "inference.http.max.request.bytes";
  public static final String KEY_ADMIN_TOKEN = "inference.admin.token";
  public static final String KEY_START_TIMEOUT = "inference.start.timeout";

  /**
   * Reads the {@code inference.*} keys; durations are ISO-8601. The topic prefix is the
   * {@code Topics}' ({@code topics.prefix}), given to the service beside this config.
   *
   * @throws IllegalArgumentException naming the key or field and the value when one is invalid
   */
  public static InferenceConfig from(ConfigSource source) {
    InferenceConfig d = of(source.get(KEY_MODEL).orElseThrow(
        () -> new IllegalArgumentException("config '" + KEY_MODEL + "' (the registry name of the model to serve) must be set")));
    TensorRtOptions trt = new TensorRtOptions(
        source.getInt(KEY_TRT_DEVICE, d.tensorRt().deviceId()),
        source.getBoolean(KEY_TRT_INT8, d.tensorRt().int8()),
        source.getBoolean(KEY_TRT_FP16, d.tensorRt().fp16()),
        source.getBoolean(KEY_TRT_ENGINE_CACHE, d.tensorRt().engineCache()),
        source.get(KEY_TRT_ENGINE_CACHE_DIR, d.tensorRt().engineCacheDir()),
        source.getLong(KEY_TRT_WORKSPACE_BYTES, d.tensorRt().maxWorkspaceBytes()));
    return new InferenceConfig(
        d.modelName(),
        source.get(KEY_GROUP_ID, d.groupId()),
        source.get(KEY_INSTANCE_ID, d.instanceId()),
        source.getInt(KEY_MAX_BATCH_SIZE, d.maxBatchSize()),
        source.getDuration(KEY_MAX_BATCH_DELAY, d.maxBatchDelay()),
        RuntimeKind.parse(source.get(KEY_RUNTIME, d.runtime().configName())),
        source.get(KEY_PRECISION, d.precision()).trim().toLowerCase(Locale.ROOT),
        source.getInt(KEY_INTRA_OP_THREADS, d.intraOpThreads()),
        source.getInt(KEY_INTER_OP_THREADS, d.interOpThreads()),
        trt,
        source.getInt(KEY_WARMUP_BATCHES, d.warmupBatches()),
        source.getBoolean(KEY_EMIT_EMBEDDING, d.emitEmbedding()),
        source.get(KEY_HTTP_HOST, d.httpHost()),
        source.getInt(KEY_HTTP_PORT, d.httpPort()),
        source.getInt(KEY_MAX_REQUEST_BYTES, d.maxRequestBytes()),
        source.get(KEY_ADMIN_TOKEN).filter(t -> !t.isBlank()).orElse(null),
        source.getDuration(KEY_START_TIMEOUT, d.startTimeout()));
  }

  /** The Kafka transactional id: stable per instance, so a restart fences the previous incarnation. */
  public String transactionalId() {
    return groupId + "-" + instanceId;
  }

  /** How models are run: this config's runtime settings, warm-up batches up to {@code maxBatchSize}. */
  public ServingOptions serving() {
    return new ServingOptions(runtime, precision, intraOpThreads, interOpThreads, tensorRt, warmupBatches, maxBatchSize);
  }

  public InferenceConfig withBatching(int size, Duration delay) {
    return new InferenceConfig(modelName, groupId, instanceId, size, delay, runtime, precision,
        intraOpThreads, interOpThreads, tensorRt, warmupBatches, emitEmbedding, httpHost, httpPort, maxRequestBytes,
        adminToken, startTimeout);
  }

  public InferenceConfig withRuntime(RuntimeKind kind) {
    return new InferenceConfig(modelName, groupId, instanceId, maxBatchSize, maxBatchDelay, kind, precision,
        intraOpThreads, interOpThreads, tensorRt, warmupBatches, emitEmbedding, httpHost, httpPort, maxRequestBytes,
        adminToken, startTimeout);
  }

  public InferenceConfig withHttp(String host, int port, String token) {
    return new InferenceConfig(modelName, groupId, instanceId, maxBatchSize, maxBatchDelay, runtime,
        precision, intraOpThreads, interOpThreads, tensorRt, warmupBatches, emitEmbedding, host, port, maxRequestBytes,
        token, startTimeout);
  }

  public InferenceConfig withInstance(String group, String instance) {
    return new InferenceConfig(modelName, group, instance, maxBatchSize, maxBatchDelay, runtime,
        precision, intraOpThreads, interOpThreads, tensorRt, warmupBatches, emitEmbedding, httpHost, httpPort,
        maxRequestBytes, adminToken, startTimeout);
  }
}
