package dev.osprey.cli.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.cli.OspreyCommand;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.explain.Method;
import dev.osprey.explain.service.ExplainConfig;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ExplainCommandTest {
  static {
    DjlOfflineGuard.install();
  }

  @TempDir Path tmp;

  private record Run(int code, String out, String err) {}

  private static Run osprey(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = OspreyCommand.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void flagsBecomeExplainKeys() {
    ExplainCommand c = new ExplainCommand();
    new CommandLine(c).parseArgs("--model", "digits", "--methods", "ig,shap", "--rate", "20", "--low-confidence",
        "0.6", "--http-port", "0", "-s", "explain.ig.steps=64");
    ExplainConfig cfg = ExplainConfig.from(c.config().source());
    assertEquals("digits", cfg.modelName());
    assertEquals(List.of(Method.INTEGRATED_GRADIENTS, Method.KERNEL_SHAP), cfg.methods());
    assertEquals(20.0, cfg.sampling().ratePerSecond());
    assertEquals(0.6, cfg.sampling().lowConfidenceBelow());
    assertEquals(0, cfg.httpPort());
    assertEquals(64, cfg.methodSettings().igSteps());
    assertEquals(0.05, cfg.budget().cores(), "the default CPU budget");
  }

  @Test
  void theBudgetFlagSetsOrSwitchesOffTheCpuCeiling() {
    ExplainCommand c = new ExplainCommand();
    new CommandLine(c).parseArgs("--model", "digits", "--budget-cpu", "0.25");
    assertEquals(0.25, ExplainConfig.from(c.config().source()).budget().cores());
    ExplainCommand off = new ExplainCommand();
    new CommandLine(off).parseArgs("--model", "digits", "--budget-cpu", "off");
    assertFalse(ExplainConfig.from(off.config().source()).budget().enabled());
  }

  @Test
  void anUnknownMethodIsAUsageError() {
    Run r = osprey("explain", "--model", "digits", "--methods", "ig,lime");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("method 'lime' is not one of"), r.err());
  }

  @Test
  void explainsOneSampleOfAnImportedModelWithTheBlackBoxMethods() throws Exception {
    Path registry = tmp.resolve("reg");
    Path tiny;
    try (InputStream in = getClass().getResourceAsStream("/models/tiny-classifier.onnx")) {
      tiny = Files.write(tmp.resolve("tiny.onnx"), in.readAllBytes());
    }
    Run imported = osprey("models", "import", tiny.toString(), "--registry", registry.toString(), "--name", "tiny",
        "--labels", "a,b,c", "--input-shape", "1,4,4", "--dtype", "uint8", "--scale", "255", "--mean", "0.1307",
        "--std", "0.3081");
    assertEquals(0, imported.code(), imported.err());
    byte[] pixels = new byte[16];
    for (int i = 0; i < 16; i++) {
      pixels[i] = (byte) (i * 16);
    }
    Path sample = Files.write(tmp.resolve("sample.json"),
        new EventCodec().encode(new Sample(Sample.SCHEMA_VERSION, "t-1", 1L, Tensor.ofUint8(pixels, 1, 4, 4), null, null)));
    Path png = tmp.resolve("out/t-1.png");
    Run r = osprey("explain", "sample", "--model", "tiny", "--registry", registry.toString(), "--file", sample.toString(),
        "--methods", "occlusion,shap", "--png", png.toString(), "-s", "explain.occlusion.patch=2",
        "-s", "explain.occlusion.stride=2", "-s", "explain.shap.patch=2");
    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().split("\n");
    assertTrue(lines[0].startsWith("occlusion  tiny:1 onnx-cpu/fp32 class "), r.out());
    assertTrue(lines[1].startsWith("shap       tiny:1 onnx-cpu/fp32 class "), r.out());
    assertTrue(lines[1].contains("residual"), r.out());
    // input + 2 overlays, 4 screen pixels per input pixel
    assertEquals(3 * 16, ImageIO.read(png.toFile()).getWidth());
    // the gradient methods need the fp32 network an imported model does not have
    Run ig = osprey("explain", "sample", "--model", "tiny", "--registry", registry.toString(), "--file",
        sample.toString(), "--methods", "ig");
    assertEquals(1, ig.code());
    assertTrue(ig.err().contains("not explained: failed"), ig.err());
  }
}
