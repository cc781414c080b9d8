package dev.osprey.cli.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.cli.OspreyCommand;
import dev.osprey.trainer.loop.GateConfig;
import dev.osprey.trainer.loop.StrategyConfig;
import dev.osprey.trainer.service.TrainerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TrainerCommandTest {
  private static TrainerCommand parse(String... args) {
    CommandLine.ParseResult r = OspreyCommand.newCommandLine().parseArgs(args);
    return (TrainerCommand) r.subcommand().commandSpec().userObject();
  }

  @Test
  void flagsAndKeysBecomeTheTrainerConfig() {
    TrainerCommand c = parse("trainer", "--model", "digits", "--strategy", "re-distill", "--reference", "fixture",
        "--instance-id", "b", "-s", "trainer.trigger.drift.min.labels=300", "-s", "trainer.trigger.cooldown=PT5M",
        "-s", "trainer.gate.mcnemar=non-inferiority", "-s", "trainer.recipe.learning.rate=1e-4",
        "-s", "trainer.rollback.outcomes=250", "-s", "trainer.recipe.threads=3");
    TrainerConfig t = TrainerConfig.from(c.config().source());
    assertEquals("digits", t.modelName());
    assertEquals(StrategyConfig.Mode.RE_DISTILL, t.strategy().mode());
    assertEquals("fixture:train", t.referenceTrain());
    assertEquals("fixture:test", t.referenceTest());
    assertEquals("osprey-trainer-b", t.transactionalId());
    assertEquals(300, t.trigger().driftMinLabels());
    assertEquals(Duration.ofMinutes(5), t.trigger().cooldown());
    assertEquals(GateConfig.McNemarRule.NON_INFERIORITY, t.gate().mcnemar());
    assertEquals(1e-4f, t.recipe().learningRate());
    assertEquals(250, t.rollback().outcomes());
    assertEquals(3, t.recipe().threads());
    assertEquals(Math.max(1, Runtime.getRuntime().availableProcessors() / 2), TrainerConfig.of("digits").recipe().threads());
    assertEquals(TrainerConfig.of("digits").gate().minInt8Agreement(), t.gate().minInt8Agreement());
  }

  @Test
  void aBadValueIsAUsageErrorNamingTheKey() {
    StringWriter err = new StringWriter();
    CommandLine cl = OspreyCommand.newCommandLine();
    cl.setErr(new PrintWriter(err));
    int code = cl.execute("trainer", "--model", "digits", "--strategy", "sometimes", "--bootstrap-servers", "127.0.0.1:9");
    assertEquals(2, code);
    assertTrue(err.toString().startsWith("config 'trainer.strategy' must be auto, fine-tune or re-distill, got 'sometimes'"),
        err.toString());
  }
}
