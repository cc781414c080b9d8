package dev.osprey.model.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.DType;
import dev.osprey.model.InputSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDraftTest {
  @TempDir Path tmp;

  private static String message(ModelDraft.Builder b) {
    return assertThrows(IllegalArgumentException.class, b::build).getMessage();
  }

  @Test
  void requiredFieldsAreNamedWhenMissing() throws Exception {
    assertTrue(message(ModelDraft.builder()).startsWith("name must match"));
    assertEquals("architecture must be set", message(ModelDraft.builder().setName("m")));
    assertEquals("input and input.dtype must not be null",
        message(ModelDraft.builder().setName("m").setArchitecture("mlp", null)));
    assertEquals("labels must name at least 2 classes, got null",
        message(ModelDraft.builder().setName("m").setArchitecture("mlp", null).setInput(InputSpec.mnist())));
    assertEquals("at least one file must be set (e.g. role fp32.onnx)", message(ModelDraft.builder().setName("m")
        .setArchitecture("mlp", null).setInput(InputSpec.mnist()).setLabels(DraftFixtures.DIGITS)));
  }

  @Test
  void invalidValuesAreNamed() throws Exception {
    ModelDraft.Builder ok = DraftFixtures.fullDraft(tmp, "m");
    ok.build();
    assertTrue(message(DraftFixtures.fullDraft(tmp.resolve("a"), "m").setFile("fp32.onnx", tmp.resolve("nope")))
        .startsWith("file of role 'fp32.onnx' is not a regular file"));
    assertEquals("file role must match [a-z0-9][a-z0-9._-]{0,63}, got 'Bad Role'",
        message(DraftFixtures.fullDraft(tmp.resolve("b"), "m").setFile("Bad Role", DraftFixtures.file(tmp, "x", 1, 1))));
    assertEquals("two roles have the same file name 'model.fp32.onnx'", message(DraftFixtures.fullDraft(tmp.resolve("c"), "m")
        .setFile("extra", DraftFixtures.file(tmp.resolve("d"), "model.fp32.onnx", 1, 1))));
    assertEquals("metric accuracy must be finite, got NaN",
        message(DraftFixtures.fullDraft(tmp.resolve("e"), "m").optMetric("accuracy", Double.NaN)));
    assertEquals("input.mean/std must have one value per channel (3), got 1", message(DraftFixtures.fullDraft(tmp.resolve("f"), "m")
        .setInput(new InputSpec(DType.FLOAT32, List.of(3, 8, 8), 1f, new float[] {0}, new float[] {1}))));
    assertEquals("reference.classPrior has 10 classes, labels has 3",
        message(DraftFixtures.fullDraft(tmp.resolve("g"), "m").setLabels(List.of("a", "b", "c"))));
  }
}
