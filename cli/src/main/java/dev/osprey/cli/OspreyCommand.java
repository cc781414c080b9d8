package dev.osprey.cli;

import dev.osprey.core.djl.DjlOfflineGuard;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code osprey} command. It only parses arguments and wires services; the work is elsewhere. */
@Command(
    name = "osprey",
    mixinStandardHelpOptions = true,
    versionProvider = OspreyCommand.Version.class,
    description = "Event-driven streaming inference and monitoring.",
    subcommands = {
      // One line per top-level command.
      CommandLine.HelpCommand.class,
      BrokerCommand.class,
      TopicsCommand.class,
      DataCommand.class,
      DemoCommand.class,
      dev.osprey.cli.ingest.IngestCommand.class,
      dev.osprey.cli.inference.InferenceCommand.class,
      dev.osprey.cli.monitor.MonitorCommand.class,
      dev.osprey.cli.explain.ExplainCommand.class,
      dev.osprey.cli.trainer.TrainerCommand.class,
      dev.osprey.cli.models.ModelsCommand.class,
      dev.osprey.cli.quantize.QuantizeCommand.class,
      dev.osprey.cli.train.TrainCommand.class,
      dev.osprey.cli.train.EvaluateCommand.class,
    })
public final class OspreyCommand implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    // Before anything can load a DJL class.
    DjlOfflineGuard.install();
    System.exit(newCommandLine().execute(args));
  }

  /** The configured command line, also used by tests. */
  public static CommandLine newCommandLine() {
    return new CommandLine(new OspreyCommand()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = OspreyCommand.class.getPackage().getImplementationVersion();
      return new String[] {"osprey " + (v == null ? "dev" : v)};
    }
  }
}
