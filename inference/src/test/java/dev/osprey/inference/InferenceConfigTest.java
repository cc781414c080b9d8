package dev.osprey.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.osprey.core.config.ConfigSource;
import dev.osprey.model.runtime.RuntimeKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InferenceConfigTest {

  @Test
  void defaults() {
    InferenceConfig c = InferenceConfig.from(ConfigSource.of(Map.of("inference.model", "digits")));
    assertEquals(InferenceConfig.of("digits"), c);
    assertEquals("digits", c.modelName());
    assertEquals(64, c.maxBatchSize());
    assertEquals(Duration.ofMillis(10), c.maxBatchDelay());
    assertEquals(RuntimeKind.ONNX_CPU, c.runtime());
    assertEquals("auto", c.precision());
    assertEquals("127.0.0.1", c.httpHost());
    assertEquals(9402, c.httpPort());
    assertNull(c.adminToken());
    assertEquals("osprey-inference-0", c.transactionalId());
  }

  @Test
  void everyKeyIsRead() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("inference.model", "digits");
    m.put("inference.group.id", "g");
    m.put("inference.instance.id", "pod-3");
    m.put("inference.batch.max.size", "128");
    m.put("inference.batch.max.delay", "PT0.002S");
    m.put("inference.runtime", "auto");
    m.put("inference.precision", "FP32");
    m.put("inference.threads.intra.op", "2");
    m.put("inference.threads.inter.op", "2");
    m.put("inference.warmup.batches", "0");
    m.put("inference.emit.embedding", "true");
    m.put("inference.http.host", "0.0.0.0");
    m.put("inference.http.port", "0");
    m.put("inference.http.max.request.bytes", "1000");
    m.put("inference.admin.token", "0123456789abcdef");
    m.put("inference.start.timeout", "PT5S");
    InferenceConfig c = InferenceConfig.from(ConfigSource.of(m));
    assertEquals(new InferenceConfig("digits", "g", "pod-3", 128, Duration.ofMillis(2), RuntimeKind.AUTO,
        "fp32", 2, 2, c.tensorRt(), 0, true, "0.0.0.0", 0, 1000, "0123456789abcdef", Duration.ofSeconds(5)), c);
    assertEquals("g-pod-3", c.transactionalId());
  }

  /** The TensorRT execution provider options, built from config without a GPU: per-version engine cache. */
  @Test
  void tensorRtOptionsFromConfig() {
    InferenceConfig c = InferenceConfig.from(ConfigSource.of(Map.of(
        "inference.model", "digits",
        "inference.runtime", "onnx-tensorrt",
        "inference.tensorrt.device", "1",
        "inference.tensorrt.fp16", "true",
        "inference.tensorrt.engine.cache.dir", "/var/cache/trt",
        "inference.tensorrt.workspace.bytes", "268435456")));
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("device_id", "1");
    expected.put("trt_max_workspace_size", "268435456");
    expected.put("trt_int8_enable", "1");
    expected.put("trt_int8_use_native_calibration_table", "0");
    expected.put("trt_fp16_enable", "1");
    expected.put("trt_engine_cache_enable", "1");
    String dir = Path.of("/var/cache/trt", "digits-7").toString();
    expected.put("trt_engine_cache_path", dir);
    expected.put("trt_timing_cache_enable", "1");
    expected.put("trt_timing_cache_path", dir);
    assertEquals(expected, c.serving().tensorRtFor("digits", 7).toProviderOptions());
    assertEquals(RuntimeKind.ONNX_TENSORRT, c.runtime());

    InferenceConfig noCache = InferenceConfig.from(ConfigSource.of(Map.of(
        "inference.model", "digits", "inference.tensorrt.engine.cache", "false", "inference.tensorrt.int8", "false")));
    Map<String, String> opts = noCache.serving().tensorRtFor("digits", 7).toProviderOptions();
    assertEquals("0", opts.get("trt_engine_cache_enable"));
    assertEquals("0", opts.get("trt_int8_enable"));
    assertNull(opts.get("trt_engine_cache_path"));
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
    "inference.batch.max.size|0|maxBatchSize must be >= 1, got 0",
    "inference.batch.max.size|many|config 'inference.batch.max.size' must be an integer, got 'many'",
    "inference.batch.max.delay|10ms|config 'inference.batch.max.delay' must be an ISO-8601 duration like PT10M, got '10ms'",
    "inference.runtime|tensorflow|runtime 'tensorflow' is not one of auto, onnx-cpu, onnx-tensorrt, pytorch",
    "inference.precision|int4|precision must be one of auto, fp32, int8, int8-matmul, int8-mixed, got 'int4'",
    "inference.http.port|70000|httpPort must be -1..65535, got 70000",
    "inference.admin.token|short|adminToken must be at least 16 characters (or unset to disable admin), got 5",
    "inference.instance.id|a b|instanceId 'a b' must be non-empty and use only [A-Za-z0-9._-]",
    "inference.emit.embedding|yes|config 'inference.emit.embedding' must be true or false, got 'yes'",
    "inference.tensorrt.workspace.bytes|0|tensorrt maxWorkspaceBytes must be > 0, got 0",
    "inference.threads.intra.op|0|intraOpThreads must be >= 1, got 0",
  })
  void badValuesNameTheField(String key, String value, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InferenceConfig.from(ConfigSource.of(Map.of("inference.model", "digits", key, value))));
    assertEquals(message, e.getMessage());
  }

  @Test
  void modelIsRequired() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InferenceConfig.from(ConfigSource.of(Map.of())));
    assertEquals("config 'inference.model' (the registry name of the model to serve) must be set", e.getMessage());
  }
}
