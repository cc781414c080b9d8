package dev.osprey.model.runtime;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.nio.file.Path;

/**
 * ONNX Runtime session settings.
 *
 * @param intraOpThreads threads inside one operator, >= 1 (ORT's default of "all cores" is bad
 *     on a shared 2-core machine)
 * @param interOpThreads threads across independent operators, >= 1
 * @param optimization graph optimization level
 * @param optimizedModelPath where ORT writes the optimized graph (to inspect fusions), or null
 * @param profilingPrefix where ORT writes a JSON profile, or null for no profiling
 * @param disabledOptimizers ORT graph transformers to switch off by name (e.g.
 *     {@code QDQPropagationTransformer}, which otherwise moves a QuantizeLinear above a max-pool and
 *     can undo a plan that keeps a layer in fp32)
 */
public record OrtConfig(
    int intraOpThreads, int interOpThreads, OptLevel optimization, Path optimizedModelPath, Path profilingPrefix,
    java.util.Set<String> disabledOptimizers) {

  public OrtConfig {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
    }
    if (interOpThreads < 1) {
      throw new IllegalArgumentException("interOpThreads must be >= 1, got " + interOpThreads);
    }
    if (optimization == null) {
      throw new IllegalArgumentException("optimization must be set");
    }
    disabledOptimizers = java.util.Set.copyOf(disabledOptimizers == null ? java.util.Set.of() : disabledOptimizers);
  }

  /** Settings with every ORT optimizer enabled. */
  public OrtConfig(int intraOpThreads, int interOpThreads, OptLevel optimization, Path optimizedModelPath,
      Path profilingPrefix) {
    this(intraOpThreads, interOpThreads, optimization, optimizedModelPath, profilingPrefix, java.util.Set.of());
  }

  /** All optimizations, the given intra-op threads, one inter-op thread. */
  public static OrtConfig cpu(int intraOpThreads) {
    return new OrtConfig(intraOpThreads, 1, OptLevel.ALL_OPT, null, null, java.util.Set.of());
  }

  public OrtConfig withOptimizedModelPath(Path path) {
    return new OrtConfig(intraOpThreads, interOpThreads, optimization, path, profilingPrefix, disabledOptimizers);
  }

  public OrtConfig withProfiling(Path prefix) {
    return new OrtConfig(intraOpThreads, interOpThreads, optimization, optimizedModelPath, prefix, disabledOptimizers);
  }

  public OrtConfig withDisabledOptimizers(java.util.Set<String> names) {
    return new OrtConfig(intraOpThreads, interOpThreads, optimization, optimizedModelPath, profilingPrefix, names);
  }
}
