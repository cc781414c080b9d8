package dev.osprey.cli;

import dev.osprey.core.config.ConfigSource;
import dev.osprey.core.config.OspreyConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Options every command shares. Precedence: {@code --set}/named flags over {@code OSPREY_*}
 * environment over the {@code --config} file over defaults (see docs/configuration.md).
 */
public final class CommonOptions {
  @Option(names = "--config", description = "Properties file (also OSPREY_CONFIG).")
  Path configFile;

  @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default 127.0.0.1:9092).")
  String bootstrapServers;

  @Option(names = "--topic-prefix", description = "Prefix for every topic name.")
  String topicPrefix;

  @Option(names = "--data-dir", description = "Dataset directory (default data).")
  Path dataDir;

  @Option(names = "--registry", description = "Model registry directory (default registry).")
  Path registryDir;

  @Option(names = {"-s", "--set"}, description = "Any config key, e.g. -s kafka.security.protocol=SSL.")
  Map<String, String> overrides = new LinkedHashMap<>();

  /** The merged config. */
  public OspreyConfig config() {
    return OspreyConfig.from(source());
  }

  /** The merged config, to which a command adds its own flags as keys. */
  public ConfigFlags flags() {
    return new ConfigFlags(source());
  }

  public ConfigSource source() {
    Map<String, String> flags = new LinkedHashMap<>(overrides);
    if (bootstrapServers != null) {
      flags.put("kafka.bootstrap.servers", bootstrapServers);
    }
    if (topicPrefix != null) {
      flags.put("topics.prefix", topicPrefix);
    }
    if (dataDir != null) {
      flags.put("data.dir", dataDir.toString());
    }
    if (registryDir != null) {
      flags.put("registry.dir", registryDir.toString());
    }
    Optional<Path> file = Optional.ofNullable(configFile)
        .or(() -> Optional.ofNullable(System.getenv("OSPREY_CONFIG")).map(Path::of));
    try {
      return ConfigSource.load(file, System.getenv(), flags);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
