package dev.osprey.explain.service;

import dev.osprey.core.config.ConfigSource;
import dev.osprey.explain.Method;
import dev.osprey.explain.sampling.CpuBudget;
import dev.osprey.explain.sampling.SamplingPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Configuration of the explain service, validated at construction (every message names the field
 * and the value). Keys: {@code explain.*}, see docs/explain.md and docs/configuration.md.
 *
 * @param modelName the registry name of the model explained
 * @param groupId consumer group of the service (its offsets on the samples, predictions, outcomes
 *     and drift topics)
 * @param instanceId names this instance's clients
 * @param topicPrefix prefix of every topic name
 * @param autoOffsetReset where a new group starts reading: {@code latest} (only new traffic) or {@code earliest}
 * @param methods what every sampled prediction is explained with (non-empty)
 * @param sampling the sampling policy
 * @param budget the ceiling on the CPU spent explaining ({@link CpuBudget.Config#off()} for none)
 * @param methodSettings the methods' parameters
 * @param topFeatures top features per explanation, >= 0
 * @param sampleBuffer samples kept for the join, >= 1
 * @param waitingBuffer predictions waiting for their sample, >= 1
 * @param versionCache model versions kept loaded (the serving one plus recent ones whose
 *     predictions may still arrive), >= 1
 * @param heatmapDir where PNG heatmaps go, or null for none
 * @param heatmapKeep PNG files kept in {@code heatmapDir} (the oldest written by this service are deleted), >= 1
 * @param storedExplanations explanations kept in memory for {@code GET /v1/explanations/{id}}, >= 1
 * @param httpHost HTTP bind address (loopback by default)
 * @param httpPort HTTP port, 0 for any free one, -1 for no HTTP
 * @param maxRequestBytes largest HTTP request body, >= 1
 * @param requestTimeout how long an on-demand explanation may wait and run, > 0
 * @param startTimeout how long the start may take (models topic read, topics checked), > 0
 */
public record ExplainConfig(
    String modelName,
    String groupId,
    String instanceId,
    String topicPrefix,
    String autoOffsetReset,
    List<Method> methods,
    SamplingPolicy.Config sampling,
    CpuBudget.Config budget,
    MethodSettings methodSettings,
    int topFeatures,
    int sampleBuffer,
    int waitingBuffer,
    int versionCache,
    Path heatmapDir,
    int heatmapKeep,
    int storedExplanations,
    String httpHost,
    int httpPort,
    int maxRequestBytes,
    Duration requestTimeout,
    Duration startTimeout) {

  public static final String DEFAULT_GROUP_ID = "osprey-explain";
  public static final int DEFAULT_HTTP_PORT = 9405;
  /** ig + gradcam + occlusion: about 50 ms per prediction on a loaded 2-core machine (docs/explain.md). */
  public static final List<Method> DEFAULT_METHODS =
      List.of(Method.INTEGRATED_GRADIENTS, Method.GRAD_CAM, Method.OCCLUSION);

  private static final String ID_CHARS = "[A-Za-z0-9._-]+";

  /** @throws IllegalArgumentException naming the field and value when one is invalid */
  public ExplainConfig {
    requireId("modelName", modelName);
    requireId("groupId", groupId);
    requireId("instanceId", instanceId);
    if (topicPrefix == null || !topicPrefix.matches("[A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException("topicPrefix '" + topicPrefix + "' may contain only [A-Za-z0-9._-]");
    }
    if (!"latest".equals(autoOffsetReset) && !"earliest".equals(autoOffsetReset)) {
      throw new IllegalArgumentException("autoOffsetReset must be latest or earliest, got '" + autoOffsetReset + "'");
    }
    if (methods == null || methods.isEmpty()) {
      throw new IllegalArgumentException("methods must name at least one method, got " + methods);
    }
    methods = List.copyOf(methods);
    if (sampling == null || budget == null || methodSettings == null) {
      throw new IllegalArgumentException("sampling, budget and methodSettings must be set");
    }
    requireAtLeast("topFeatures", topFeatures, 0);
    requireAtLeast("sampleBuffer", sampleBuffer, 1);
    requireAtLeast("waitingBuffer", waitingBuffer, 1);
    requireAtLeast("versionCache", versionCache, 1);
    requireAtLeast("heatmapKeep", heatmapKeep, 1);
    requireAtLeast("storedExplanations", storedExplanations, 1);
    if (httpHost == null || httpHost.isBlank()) {
      throw new IllegalArgumentException("httpHost must not be empty, got '" + httpHost + "'");
    }
    if (httpPort < -1 || httpPort > 65535) {
      throw new IllegalArgumentException("httpPort must be -1..65535, got " + httpPort);
    }
    requireAtLeast("maxRequestBytes", maxRequestBytes, 1);
    requirePositive("requestTimeout", requestTimeout);
    requirePositive("startTimeout", startTimeout);
  }

  /** Defaults for everything but the model name (see the keys below for the values). */
  public static ExplainConfig of(String modelName) {
    return new ExplainConfig(modelName, DEFAULT_GROUP_ID, "0", "", "latest", DEFAULT_METHODS,
        SamplingPolicy.Config.defaults(), CpuBudget.Config.defaults(), MethodSettings.defaults(), 10, 10_000, 1_000, 3, null, 500, 1_000,
        "127.0.0.1", DEFAULT_HTTP_PORT, 1 << 20, Duration.ofSeconds(30), Duration.ofSeconds(60));
  }

  public static final String KEY_MODEL = "explain.model";
  public static final String KEY_GROUP_ID = "explain.group.id";
  public static final String KEY_INSTANCE_ID = "explain.instance.id";
  public static final String KEY_OFFSET_RESET = "explain.auto.offset.reset";
  public static final String KEY_METHODS = "explain.methods";
  public static final String KEY_RATE = "explain.sampling.rate";
  public static final String KEY_BURST = "explain.sampling.burst";
  public static final String KEY_LOW_CONFIDENCE = "explain.sampling.low.confidence";
  public static final String KEY_WRONG = "explain.sampling.wrong";
  public static final String KEY_DRIFT = "explain.sampling.drift";
  public static final String KEY_REMEMBER = "explain.sampling.remember";
  public static final String KEY_BUDGET_CPU = "explain.budget.cpu";
  public static final String KEY_BUDGET_WINDOW = "explain.budget.window";
  public static final String KEY_TOP_FEATURES = "explain.top.features";
  public static final String KEY_SAMPLE_BUFFER = "explain.join.samples";
  public static final String KEY_WAITING_BUFFER = "explain.join.waiting";
  public static final String KEY_VERSION_CACHE = "explain.versions.cached";
  public static final String KEY_HEATMAP_DIR = "explain.heatmaps.dir";
  public static final String KEY_HEATMAP_KEEP = "explain.heatmaps.keep";
  public static final String KEY_STORED = "explain.http.stored";
  public static final String KEY_HTTP_HOST = "explain.http.host";
  public static final String KEY_HTTP_PORT = "explain.http.port";
  public static final String KEY_MAX_REQUEST_BYTES = "explain.http.max.request.bytes";
  public static final String KEY_REQUEST_TIMEOUT = "explain.http.request.timeout";
  public static final String KEY_START_TIMEOUT = "explain.start.timeout";

  /**
   * Reads the {@code explain.*} keys (and {@code topics.prefix}); durations are ISO-8601.
   *
   * @throws IllegalArgumentException naming the key or field and the value when one is invalid
   */
  public static ExplainConfig from(ConfigSource source) {
    ExplainConfig d = of(source.get(KEY_MODEL).orElseThrow(
        () -> new IllegalArgumentException("config '" + KEY_MODEL + "' (the registry name of the model to explain) must be set")));
    SamplingPolicy.Config s = d.sampling();
    SamplingPolicy.Config sampling = new SamplingPolicy.Config(
        parseDouble(source, KEY_RATE, s.ratePerSecond()),
        source.getInt(KEY_BURST, s.burst()),
        parseDouble(source, KEY_LOW_CONFIDENCE, s.lowConfidenceBelow()),
        source.getBoolean(KEY_WRONG, s.explainWrong()),
        source.getBoolean(KEY_DRIFT, s.explainDuringDrift()),
        source.getInt(KEY_REMEMBER, s.rememberExplained()));
    return new ExplainConfig(
        d.modelName(),
        source.get(KEY_GROUP_ID, d.groupId()),
        source.get(KEY_INSTANCE_ID, d.instanceId()),
        source.get("topics.prefix", ""),
        source.get(KEY_OFFSET_RESET, d.autoOffsetReset()).trim().toLowerCase(Locale.ROOT),
        source.get(KEY_METHODS).map(ExplainConfig::parseMethods).orElse(d.methods()),
        sampling,
        new CpuBudget.Config(parseBudget(source, KEY_BUDGET_CPU, d.budget().cores()),
            source.getDuration(KEY_BUDGET_WINDOW, d.budget().window())),
        MethodSettings.from(source),
        source.getInt(KEY_TOP_FEATURES, d.topFeatures()),
        source.getInt(KEY_SAMPLE_BUFFER, d.sampleBuffer()),
        source.getInt(KEY_WAITING_BUFFER, d.waitingBuffer()),
        source.getInt(KEY_VERSION_CACHE, d.versionCache()),
        source.get(KEY_HEATMAP_DIR).filter(v -> !v.isBlank()).map(Path::of).orElse(null),
        source.getInt(KEY_HEATMAP_KEEP, d.heatmapKeep()),
        source.getInt(KEY_STORED, d.storedExplanations()),
        source.get(KEY_HTTP_HOST, d.httpHost()),
        source.getInt(KEY_HTTP_PORT, d.httpPort()),
        source.getInt(KEY_MAX_REQUEST_BYTES, d.maxRequestBytes()),
        source.getDuration(KEY_REQUEST_TIMEOUT, d.requestTimeout()),
        source.getDuration(KEY_START_TIMEOUT, d.startTimeout()));
  }

  /**
   * Parses a comma-separated list of method names ({@code ig,gradcam,shap}).
   *
   * @throws IllegalArgumentException naming an unknown method, or for an empty list
   */
  public static List<Method> parseMethods(String csv) {
    List<Method> out = new ArrayList<>();
    for (String part : csv.split(",")) {
      if (!part.isBlank()) {
        Method m = Method.parse(part);
        if (!out.contains(m)) {
          out.add(m);
        }
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("methods must name at least one method, got '" + csv + "'");
    }
    return List.copyOf(out);
  }

  public ExplainConfig withSampling(SamplingPolicy.Config s) {
    return new ExplainConfig(modelName, groupId, instanceId, topicPrefix, autoOffsetReset, methods, s, budget, methodSettings,
        topFeatures, sampleBuffer, waitingBuffer, versionCache, heatmapDir, heatmapKeep, storedExplanations, httpHost,
        httpPort, maxRequestBytes, requestTimeout, startTimeout);
  }

  public ExplainConfig withBudget(CpuBudget.Config b) {
    return new ExplainConfig(modelName, groupId, instanceId, topicPrefix, autoOffsetReset, methods, sampling, b,
        methodSettings, topFeatures, sampleBuffer, waitingBuffer, versionCache, heatmapDir, heatmapKeep,
        storedExplanations, httpHost, httpPort, maxRequestBytes, requestTimeout, startTimeout);
  }

  public ExplainConfig withMethods(List<Method> m) {
    return new ExplainConfig(modelName, groupId, instanceId, topicPrefix, autoOffsetReset, m, sampling, budget, methodSettings,
        topFeatures, sampleBuffer, waitingBuffer, versionCache, heatmapDir, heatmapKeep, storedExplanations, httpHost,
        httpPort, maxRequestBytes, requestTimeout, startTimeout);
  }

  public ExplainConfig withHeatmaps(Path dir, int keep) {
    return new ExplainConfig(modelName, groupId, instanceId, topicPrefix, autoOffsetReset, methods, sampling, budget,
        methodSettings, topFeatures, sampleBuffer, waitingBuffer, versionCache, dir, keep, storedExplanations, httpHost,
        httpPort, maxRequestBytes, requestTimeout, startTimeout);
  }

  public ExplainConfig withHttp(String host, int port) {
    return new ExplainConfig(modelName, groupId, instanceId, topicPrefix, autoOffsetReset, methods, sampling, budget,
        methodSettings, topFeatures, sampleBuffer, waitingBuffer, versionCache, heatmapDir, heatmapKeep,
        storedExplanations, host, port, maxRequestBytes, requestTimeout, startTimeout);
  }

  public ExplainConfig withOffsetReset(String reset) {
    return new ExplainConfig(modelName, groupId, instanceId, topicPrefix, reset, methods, sampling, budget, methodSettings,
        topFeatures, sampleBuffer, waitingBuffer, versionCache, heatmapDir, heatmapKeep, storedExplanations, httpHost,
        httpPort, maxRequestBytes, requestTimeout, startTimeout);
  }

  /** {@code explain.budget.cpu}: a share of one core, or {@code off} (also {@code 0}) for no budget. */
  private static double parseBudget(ConfigSource source, String key, double fallback) {
    String v = source.get(key).orElse(null);
    if (v != null && v.trim().equalsIgnoreCase("off")) {
      return 0;
    }
    double cores = parseDouble(source, key, fallback);
    if (!(cores >= 0) || Double.isInfinite(cores)) {
      throw new IllegalArgumentException("config '" + key + "' must be a share of one core >= 0, or off, got '" + v + "'");
    }
    return cores;
  }

  private static double parseDouble(ConfigSource source, String key, double fallback) {
    String v = source.get(key).orElse(null);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("config '" + key + "' must be a number, got '" + v + "'");
    }
  }

  private static void requireId(String field, String value) {
    if (value == null || !value.matches(ID_CHARS)) {
      throw new IllegalArgumentException(field + " '" + value + "' must be non-empty and use only [A-Za-z0-9._-]");
    }
  }

  static void requireAtLeast(String field, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(field + " must be >= " + min + ", got " + value);
    }
  }

  private static void requirePositive(String field, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(field + " must be > 0, got " + d);
    }
  }
}
