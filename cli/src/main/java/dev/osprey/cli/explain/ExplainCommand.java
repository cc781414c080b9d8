package dev.osprey.cli.explain;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code osprey explain}: one-sample explanations and the sanity check (the service: see docs/explain.md). */
@Command(name = "explain", mixinStandardHelpOptions = true,
    description = "Explain the model: `explain sample` (one sample), `explain sanity` (sanity check + deletion curves).",
    subcommands = {ExplainSampleCommand.class, ExplainSanityCommand.class})
public final class ExplainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(System.out);
    return 0;
  }
}
