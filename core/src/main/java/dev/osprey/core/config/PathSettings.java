package dev.osprey.core.config;

import java.nio.file.Path;

/**
 * Where Osprey keeps files.
 *
 * @param dataDir downloaded datasets ({@code osprey data fetch}), default {@code data}
 * @param registryDir the model registry, default {@code registry}
 */
public record PathSettings(Path dataDir, Path registryDir) {
  public static PathSettings from(ConfigSource config) {
    return new PathSettings(Path.of(config.get("data.dir", "data")), Path.of(config.get("registry.dir", "registry")));
  }
}
