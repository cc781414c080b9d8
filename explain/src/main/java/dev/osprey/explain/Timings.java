package dev.osprey.explain;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Wall-clock timings of one explanation: time spent in the model, and the total. */
public final class Timings {
  private final long start = System.nanoTime();
  private long modelNanos;

  /** Runs {@code call} (a model evaluation) and adds its time to "model". */
  public <T> T model(Supplier<T> call) {
    long t0 = System.nanoTime();
    try {
      return call.get();
    } finally {
      modelNanos += System.nanoTime() - t0;
    }
  }

  /** {"model": ms, "total": ms} as of now. */
  public Map<String, Double> toMillis() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("model", modelNanos / 1e6);
    m.put("total", (System.nanoTime() - start) / 1e6);
    return m;
  }
}
