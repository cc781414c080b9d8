package dev.osprey.cli;

import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.runtime.OrtNativeCache;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/** The {@code osprey} command. It only parses arguments and wires services; the work is elsewhere. */
@Command(
    name = "osprey",
    mixinStandardHelpOptions = true,
    versionProvider = OspreyCommand.Version.class,
    description = "Event-driven streaming inference and monitoring.")
public final class OspreyCommand implements Runnable {
  /** The top-level commands, one line each, in the order the usage lists them. */
  static final List<Class<?>> COMMANDS = List.of(
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
      dev.osprey.cli.train.EvaluateCommand.class);

  @Override
  public void run() {
    newCommandLine().usage(System.out);
  }

  public static void main(String[] args) {
    // Before anything can load a DJL class.
    DjlOfflineGuard.install();
    System.exit(newCommandLine(args).execute(args));
  }

  /** The configured command line with every command, also used by tests. */
  public static CommandLine newCommandLine() {
    return withCommands(COMMANDS);
  }

  /**
   * The command line for {@code args}: with only the command they name when they name one, else with
   * all of them (the usage, {@code help}, a mistyped name). picocli models each registered command's
   * options by reflection when it is registered: for all fourteen that was ~0.4 s of every start, a
   * quarter of a service's time to its first prediction (docs/benchmarks-inference.md).
   */
  public static CommandLine newCommandLine(String[] args) {
    if (args.length > 0) {
      for (Class<?> c : COMMANDS) {
        Command a = c.getAnnotation(Command.class);
        if (c != CommandLine.HelpCommand.class && a != null
            && (a.name().equals(args[0]) || Arrays.asList(a.aliases()).contains(args[0]))) {
          return withCommands(List.of(c));
        }
      }
    }
    return newCommandLine();
  }

  private static CommandLine withCommands(List<Class<?>> commands) {
    CommandLine cl = new CommandLine(new OspreyCommand());
    commands.forEach(cl::addSubcommand);
    cl.setExecutionStrategy(parsed -> {
      cacheNativeLibraries(parsed);
      return new CommandLine.RunLast().execute(parsed);
    });
    return cl.setCaseInsensitiveEnumValuesAllowed(true); // after the commands: it applies to those registered
  }

  /**
   * Points ONNX Runtime at its native libraries under the config's {@code cache.dir} before the
   * command runs ({@link OrtNativeCache}: ORT would inflate 28 MB into a new temporary directory at
   * every start). Commands without {@link CommonOptions} and help requests are left alone; a config
   * that does not parse is the command's to report.
   */
  private static void cacheNativeLibraries(CommandLine.ParseResult parsed) {
    List<CommandLine> chain = parsed.asCommandLineList();
    CommandLine last = chain.get(chain.size() - 1);
    if (last.isUsageHelpRequested() || last.isVersionHelpRequested()) {
      return;
    }
    for (CommandSpec mixin : last.getCommandSpec().mixins().values()) {
      if (mixin.userObject() instanceof CommonOptions common) {
        try {
          OrtNativeCache.install(common.config().paths().cacheDir());
        } catch (RuntimeException e) {
          return; // the command parses the config again and reports what is wrong with it
        }
      }
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = OspreyCommand.class.getPackage().getImplementationVersion();
      return new String[] {"osprey " + (v == null ? "dev" : v)};
    }
  }
}
