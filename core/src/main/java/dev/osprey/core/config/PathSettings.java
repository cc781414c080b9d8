package dev.osprey.core.config;

import java.nio.file.Path;

/**
 * Where Osprey keeps files.
 *
 * @param dataDir downloaded datasets ({@code osprey data fetch}), default {@code data}
 * @param registryDir the model registry, default {@code registry}
 * @param cacheDir files a process can remake but would rather not at every start (ONNX Runtime's
 *     native libraries), default {@code ~/.cache/osprey}
 */
public record PathSettings(Path dataDir, Path registryDir, Path cacheDir) {
  public static PathSettings from(ConfigSource config) {
    return new PathSettings(Path.of(config.get("data.dir", "data")), Path.of(config.get("registry.dir", "registry")),
        Path.of(config.get("cache.dir", Path.of(System.getProperty("user.home"), ".cache", "osprey").toString())));
  }
}
