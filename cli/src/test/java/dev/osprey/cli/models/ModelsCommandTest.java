package dev.osprey.cli.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.cli.OspreyCommand;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.EventCodec;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ModelsCommandTest {
  static {
    DjlOfflineGuard.install();
  }

  @TempDir Path tmp;
  private Path registry;
  private Path tiny;

  /** Exit code and captured streams of one command run. */
  private record Run(int code, String out, String err) {}

  private Run osprey(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = OspreyCommand.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    List<String> all = new ArrayList<>(List.of(args));
    int code = cli.execute(all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  private Path resource(String name) throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/models/" + name)) {
      return Files.write(tmp.resolve(name), in.readAllBytes());
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    registry = tmp.resolve("reg");
    tiny = resource("tiny-classifier.onnx");
  }

  private Run importTiny(String labels) {
    return osprey("models", "import", tiny.toString(), "--registry", registry.toString(), "--name", "tiny",
        "--labels", labels, "--input-shape", "1,4,4", "--dtype", "uint8", "--scale", "255",
        "--mean", "0.1307", "--std", "0.3081");
  }

  @Test
  void importListShowRoundTrip() throws Exception {
    Run imported = importTiny("a,b,c");
    assertEquals(0, imported.code(), imported.err());
    assertTrue(imported.out().startsWith("imported tiny:1 into "), imported.out());
    assertTrue(imported.out().contains("input x[-1, 1, 4, 4], output logits[-1, 3], no reference profile"),
        imported.out());

    Run list = osprey("models", "list", "--registry", registry.toString());
    assertEquals(0, list.code(), list.err());
    String[] lines = list.out().split("\n");
    assertEquals(2, lines.length, list.out());
    assertTrue(lines[0].matches("NAME +VERSION +CREATED +ACCURACY +FILES"), lines[0]);
    assertTrue(lines[1].matches("tiny +1 +\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z +- +ok \\(1\\)"), lines[1]);

    Run show = osprey("models", "show", "tiny:1", "--registry", registry.toString());
    assertEquals(0, show.code(), show.err());
    String json = show.out().substring(0, show.out().lastIndexOf("verified:"));
    JsonNode m = new EventCodec().mapper().readTree(json);
    assertEquals("tiny", m.get("name").asText());
    assertEquals(1, m.get("version").asInt());
    assertEquals("imported", m.get("architecture").get("name").asText());
    assertEquals(0.3081, m.get("input").get("std").get(0).asDouble(), 1e-6);
    assertEquals("a", m.get("labels").get(0).asText());
    assertTrue(show.out().endsWith("verified: 1 files, size and sha256 match the manifest\n"), show.out());
  }

  /** Imports tiny:1, then flips one bit of its ONNX file (same size, other hash). */
  private void importCorruptTiny() throws Exception {
    assertEquals(0, importTiny("a,b,c").code());
    Path stored = registry.resolve("tiny/1/tiny-classifier.onnx");
    byte[] bytes = Files.readAllBytes(stored);
    bytes[100] ^= (byte) 0x80;
    Files.write(stored, bytes);
  }

  @Test
  void corruptVersionMakesShowFailAndListFlagIt() throws Exception {
    importCorruptTiny();

    Run show = osprey("models", "show", "tiny", "--registry", registry.toString());
    assertEquals(1, show.code());
    assertTrue(show.err().startsWith("model tiny:1 is CORRUPT or incomplete:\n"
        + "  file tiny-classifier.onnx (role fp32.onnx) has sha256 "), show.err());
    Run list = osprey("models", "list", "--registry", registry.toString());
    assertTrue(list.out().contains("CORRUPT: file tiny-classifier.onnx (role fp32.onnx) has sha256"), list.out());
  }

  @Test
  void importRefusesAModelWhoseOutputDoesNotMatchTheLabels() {
    Run r = importTiny("0,1,2,3,4,5,6,7,8,9");
    assertEquals(1, r.code());
    assertEquals("cannot import tiny-classifier.onnx: output 'logits' has 3 classes (shape [-1, 3]) but 10 labels "
        + "were given\n", r.err());
    assertEquals("no models in " + registry.toAbsolutePath() + "\n",
        osprey("models", "list", "--registry", registry.toString()).out());
  }

  @Test
  void showOfAnUnknownModelFailsClearly() {
    Run r = osprey("models", "show", "nope", "--registry", registry.toString());
    assertEquals(1, r.code());
    assertEquals("no model named 'nope' in registry " + registry.toAbsolutePath() + "\n", r.err());
  }

  @Test
  void importWithAReferenceDatasetStoresItsProfile() throws Exception {
    Path mnistModel = resource("linear-mnist.onnx");
    Run r = osprey("models", "import", mnistModel.toString(), "--registry", registry.toString(), "--name", "linear",
        "--labels", "0,1,2,3,4,5,6,7,8,9", "--input-shape", "1,28,28", "--mean", "0.1307", "--std", "0.3081",
        "--reference", "fixture:test", "--reference-count", "300", "--data-dir", tmp.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("reference profile from 300 samples"), r.out());
    Run show = osprey("models", "show", "linear", "--registry", registry.toString());
    JsonNode m = new EventCodec().mapper().readTree(show.out().substring(0, show.out().lastIndexOf("verified:")));
    double sum = 0;
    for (JsonNode p : m.get("reference").get("classPrior")) {
      sum += p.asDouble();
    }
    assertEquals(1.0, sum, 1e-9);
    assertEquals(255.0, m.get("input").get("scale").asDouble(), "uint8 default scale");
    assertEquals("<200 rows, --full to print>", m.get("reference").get("softmaxSample").asText());
  }

  /** Issue 8, item 6: activating a CORRUPT version was published; a traversal name printed a stack trace. */
  @Test
  void activateRefusesCorruptVersionsAndInvalidNamesInOneLine() throws Exception {
    importCorruptTiny();
    // No broker listens here: the command must refuse before it would publish.
    Run corrupt = osprey("models", "activate", "tiny", "1", "--registry", registry.toString(),
        "--bootstrap-servers", "127.0.0.1:9");
    assertEquals(1, corrupt.code());
    assertTrue(corrupt.err().startsWith("refusing to activate tiny:1: model tiny:1 in "), corrupt.err());
    assertTrue(corrupt.err().contains("is corrupt or incomplete: file tiny-classifier.onnx (role fp32.onnx) has sha256"),
        corrupt.err());
    assertEquals(1, corrupt.err().lines().count(), corrupt.err());

    Run traversal = osprey("models", "activate", "../../etc", "1", "--registry", registry.toString(),
        "--bootstrap-servers", "127.0.0.1:9");
    assertEquals(1, traversal.code());
    assertEquals("invalid model name or version: name must match [A-Za-z0-9][A-Za-z0-9._-]{0,63} "
        + "(letters, digits, '.', '_', '-'), got '../../etc'\n", traversal.err());

    Run missing = osprey("models", "activate", "tiny", "7", "--registry", registry.toString(),
        "--bootstrap-servers", "127.0.0.1:9");
    assertEquals(1, missing.code());
    assertEquals(1, missing.err().lines().count(), missing.err());
    assertTrue(missing.err().startsWith("refusing to activate tiny:7: no model tiny:7 in registry"), missing.err());
  }
}
