package dev.osprey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluator is engine-agnostic; a constant classifier gives every figure in closed form:
 * it always says "1" with probability p, so accuracy = share of ones, ECE = |accuracy - p|.
 */
class EvaluatorTest {

  @Test
  void constantClassifierFiguresInClosedForm(@TempDir Path dir) throws Exception {
    ImageDataset test = new Datasets(dir).load("fixture:test");
    int ones = 0;
    int[] perClass = new int[10];
    for (int i = 0; i < test.size(); i++) {
      perClass[test.label(i)]++;
      ones += test.label(i) == 1 ? 1 : 0;
    }
    // logits (0, z, 0, ...): p(1) = e^z / (e^z + 9); z = ln(27) gives p = 0.75
    float z = (float) Math.log(27);
    LogitsFunction constant = (batch, count) -> {
      float[][] out = new float[count][10];
      for (float[] row : out) {
        row[1] = z;
      }
      return out;
    };
    EvaluationReport r = new Evaluator(InputSpec.mnist(), 128).evaluate(constant, test, constant);
    double acc = (double) ones / test.size();
    assertEquals(acc, r.accuracy(), 1e-12);
    assertEquals(test.size() - ones, r.errors());
    assertEquals(Math.abs(acc - 0.75), r.ece(), 1e-6);
    assertEquals(1.0, r.agreement(), 0.0);
    assertEquals(1.0, r.perClassAccuracy().get(1), 0.0);
    assertEquals(0.0, r.perClassAccuracy().get(7), 0.0);
    for (int c = 0; c < 10; c++) {
      assertEquals(perClass[c], r.confusion()[c][1]);
    }
    assertTrue(r.latencyMsPerBatch() >= 0);
    assertNull(new Evaluator(InputSpec.mnist(), 500).evaluate(constant, test, null).agreement());

    Evaluator.saveJson(r, dir.resolve("eval.json"));
    Evaluator.savePng(r, dir.resolve("eval.png"));
    assertTrue(Files.readString(dir.resolve("eval.json")).contains("\"ece\""));
    assertTrue(Files.size(dir.resolve("eval.png")) > 5_000);
  }
}
