package dev.osprey.model.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings of ONNX Runtime's TensorRT execution provider, turned into the provider's option map
 * ({@link #toProviderOptions()}; keys as documented for {@code OrtTensorRTProviderOptions}).
 *
 * <p>Osprey serves explicit-quantization (QDQ) int8 models, so int8 is on and TensorRT's own
 * calibration table is not used: TensorRT reads the scales from the QuantizeLinear/
 * DequantizeLinear nodes. The engine cache avoids rebuilding the engine (tens of seconds) on every
 * start and hot-swap; each model version gets its own cache directory.
 *
 * @param deviceId CUDA device, >= 0
 * @param int8 enable int8 precision
 * @param fp16 also allow fp16 kernels for layers left in float
 * @param engineCache cache built engines on disk
 * @param engineCacheDir where the engine cache lives (required when engineCache is on)
 * @param maxWorkspaceBytes TensorRT builder workspace, > 0
 */
public record TensorRtOptions(
    int deviceId, boolean int8, boolean fp16, boolean engineCache, String engineCacheDir, long maxWorkspaceBytes) {

  /** 1 GiB, enough for the small CNNs Osprey serves. */
  public static final long DEFAULT_WORKSPACE_BYTES = 1L << 30;

  public TensorRtOptions {
    if (deviceId < 0) {
      throw new IllegalArgumentException("tensorrt deviceId must be >= 0, got " + deviceId);
    }
    if (maxWorkspaceBytes <= 0) {
      throw new IllegalArgumentException("tensorrt maxWorkspaceBytes must be > 0, got " + maxWorkspaceBytes);
    }
    if (engineCache && (engineCacheDir == null || engineCacheDir.isBlank())) {
      throw new IllegalArgumentException("tensorrt engineCacheDir must be set when engineCache is on, got '" + engineCacheDir + "'");
    }
  }

  /** Int8 on device 0 with the engine cache in {@code engineCacheDir}. */
  public static TensorRtOptions int8(String engineCacheDir) {
    return new TensorRtOptions(0, true, false, true, engineCacheDir, DEFAULT_WORKSPACE_BYTES);
  }

  /** The provider options, in a stable order. */
  public Map<String, String> toProviderOptions() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("device_id", Integer.toString(deviceId));
    m.put("trt_max_workspace_size", Long.toString(maxWorkspaceBytes));
    m.put("trt_int8_enable", bool(int8));
    // QDQ models carry their scales; TensorRT's calibration table must not override them
    m.put("trt_int8_use_native_calibration_table", "0");
    m.put("trt_fp16_enable", bool(fp16));
    m.put("trt_engine_cache_enable", bool(engineCache));
    if (engineCache) {
      m.put("trt_engine_cache_path", engineCacheDir);
      m.put("trt_timing_cache_enable", "1");
      m.put("trt_timing_cache_path", engineCacheDir);
    }
    return m;
  }

  private static String bool(boolean b) {
    return b ? "1" : "0";
  }
}
