package dev.osprey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A run registers only the command it names (a faster start); the usage and help still list all. */
class OspreyCommandTest {
  private static Set<String> registered(String... args) {
    return OspreyCommand.newCommandLine(args).getSubcommands().keySet();
  }

  @Test
  void aNamedCommandIsTheOnlyOneRegistered() {
    assertEquals(Set.of("inference"), registered("inference", "--model", "digits"));
    assertEquals(Set.of("explain"), registered("explain", "sample", "--id", "s-1"));
    assertEquals(Set.of("demo"), registered("demo"));
  }

  @Test
  void usageHelpAndMistypedNamesGetEveryCommand() {
    int all = OspreyCommand.COMMANDS.size();
    assertEquals(all, registered().size());
    assertEquals(all, registered("--help").size());
    assertEquals(all, registered("help", "inference").size());
    assertEquals(all, registered("inferense").size());
    StringWriter out = new StringWriter();
    CommandLine cl = OspreyCommand.newCommandLine(new String[] {"inferense"});
    cl.setErr(new PrintWriter(out));
    assertNotEquals(0, cl.execute("inferense"));
    assertTrue(out.toString().contains("inference"), "picocli suggests the command: " + out);
  }

  @Test
  void theOnlyCommandParsesAsItDoesAmongAll() {
    for (List<String> args : List.of(List.of("inference", "--model", "digits", "--batch-size", "32"),
        List.of("monitor", "--help"), List.of("trainer", "--help"))) {
      String[] a = args.toArray(String[]::new);
      CommandLine.ParseResult alone = OspreyCommand.newCommandLine(a).parseArgs(a);
      CommandLine.ParseResult among = OspreyCommand.newCommandLine().parseArgs(a);
      assertEquals(among.subcommand().matchedOptions().stream().map(o -> o.longestName() + "=" + o.getValue()).toList(),
          alone.subcommand().matchedOptions().stream().map(o -> o.longestName() + "=" + o.getValue()).toList());
    }
  }
}
