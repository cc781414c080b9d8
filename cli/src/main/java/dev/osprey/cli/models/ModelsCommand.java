package dev.osprey.cli.models;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code osprey models}: inspect the registry, import your own ONNX classifier, activate a version. */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description = "List, show, import, publish and activate models in the registry.",
    subcommands = {ListModelsCommand.class, ShowModelCommand.class, ImportModelCommand.class, PublishModelCommand.class,
        ActivateModelCommand.class})
public final class ModelsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Exit code of a command that found a missing, corrupt or incompatible model. */
  static final int MODEL_ERROR = 1;
}
