package dev.osprey.model.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TensorRtOptionsTest {

  @Test
  void int8OptionsMapToProviderKeys() {
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("device_id", "0");
    expected.put("trt_max_workspace_size", "1073741824");
    expected.put("trt_int8_enable", "1");
    expected.put("trt_int8_use_native_calibration_table", "0");
    expected.put("trt_fp16_enable", "0");
    expected.put("trt_engine_cache_enable", "1");
    expected.put("trt_engine_cache_path", "cache/v3");
    expected.put("trt_timing_cache_enable", "1");
    expected.put("trt_timing_cache_path", "cache/v3");
    assertEquals(expected, TensorRtOptions.int8("cache/v3").toProviderOptions());
  }

  @Test
  void noCacheOmitsCachePathsAndKeepsDevice() {
    Map<String, String> m = new TensorRtOptions(1, false, true, false, null, 256L << 20).toProviderOptions();
    assertEquals("1", m.get("device_id"));
    assertEquals("268435456", m.get("trt_max_workspace_size"));
    assertEquals("0", m.get("trt_int8_enable"));
    assertEquals("1", m.get("trt_fp16_enable"));
    assertEquals("0", m.get("trt_engine_cache_enable"));
    assertTrue(!m.containsKey("trt_engine_cache_path"));
  }

  @Test
  void invalidValuesNameTheField() {
    var e = assertThrows(IllegalArgumentException.class, () -> new TensorRtOptions(-1, true, false, false, null, 1));
    assertTrue(e.getMessage().contains("deviceId") && e.getMessage().contains("-1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new TensorRtOptions(0, true, false, true, " ", 1));
    assertTrue(e.getMessage().contains("engineCacheDir"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new TensorRtOptions(0, true, false, false, null, 0));
    assertTrue(e.getMessage().contains("maxWorkspaceBytes"), e.getMessage());
  }

  @Test
  void runtimeKindParsesConfigNames() {
    assertEquals(RuntimeKind.ONNX_TENSORRT, RuntimeKind.parse("onnx-tensorrt"));
    assertEquals(RuntimeKind.AUTO, RuntimeKind.parse(" AUTO "));
    assertEquals(RuntimeKind.ONNX_CPU, RuntimeKind.parse("onnx_cpu"));
    assertEquals("pytorch", RuntimeKind.PYTORCH.toString());
    var e = assertThrows(IllegalArgumentException.class, () -> RuntimeKind.parse("tensorflow"));
    assertTrue(e.getMessage().contains("tensorflow"));
  }
}
