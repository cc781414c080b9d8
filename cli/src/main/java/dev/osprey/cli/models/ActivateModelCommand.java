package dev.osprey.cli.models;

import dev.osprey.cli.CommonOptions;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ActivationPublisher;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code osprey models activate NAME VERSION}: make a registry version the production model. */
@Command(name = "activate", mixinStandardHelpOptions = true,
    description = "Publish a ModelActivation to osprey.models: every inference instance loads, verifies and "
        + "hot-swaps to this version. Activating an older version is a rollback.")
public final class ActivateModelCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "Model name in the registry.")
  String name;

  @Parameters(index = "1", paramLabel = "VERSION", description = "Version to serve (>= 1).")
  int version;

  @Option(names = "--reason", defaultValue = "manual activation", description = "Why (kept in the event). Default: ${DEFAULT-VALUE}.")
  String reason;

  @Option(names = "--actor", description = "Who (kept in the event). Default: cli:$USER.")
  String actor;

  @Override
  public Integer call() throws Exception {
    OspreyConfig cfg = common.config();
    PrintWriter out = spec.commandLine().getOut();
    String who = actor != null ? actor : "cli:" + System.getProperty("user.name", "unknown");
    Topics topics = new Topics(cfg.topics().prefix(), new EventCodec());
    ModelRegistry registry = new ModelRegistry(cfg.paths().registryDir());
    // Verified before Kafka is touched: a version every service would refuse is never published.
    String refusal = refusal(registry);
    if (refusal != null) {
      spec.commandLine().getErr().println(refusal);
      return ModelsCommand.MODEL_ERROR;
    }
    try (ActivationPublisher publisher = new ActivationPublisher(registry, topics,
        cfg.kafka().clientProperties(), Clock.systemUTC())) {
      ModelActivation a;
      try {
        a = publisher.activation(name, version, who, reason);
      } catch (ModelLoadException e) {
        spec.commandLine().getErr().println("refusing to activate " + name + ":" + version + ": " + e.getMessage());
        return ModelsCommand.MODEL_ERROR;
      }
      var meta = publisher.publish(a);
      out.println("activated " + name + ":" + version + " (manifest sha256 " + a.manifestSha256() + ") on "
          + meta.topic() + "@" + meta.offset());
      out.flush();
    }
    return 0;
  }

  /** One line saying why {@code name:version} must not be activated, or null when it may. */
  private String refusal(ModelRegistry registry) {
    try {
      registry.load(name, version); // every file's size and sha256 against the manifest
      return null;
    } catch (IllegalArgumentException e) {
      return "invalid model name or version: " + e.getMessage();
    } catch (ModelLoadException e) {
      return "refusing to activate " + name + ":" + version + ": " + e.getMessage();
    }
  }
}
