package dev.osprey.cli.models;

import dev.osprey.model.registry.ModelRegistry;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --registry} option shared by the model commands. */
public final class RegistryOption {
  @Option(names = "--registry", defaultValue = "registry", paramLabel = "DIR",
      description = "Model registry directory (default: ${DEFAULT-VALUE}).")
  Path root;

  ModelRegistry open() {
    return new ModelRegistry(root);
  }
}
