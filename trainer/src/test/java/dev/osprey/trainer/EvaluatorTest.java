package dev.osprey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.RuntimeKind;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluator runs any {@link Predictor}; a constant classifier gives every figure in closed form:
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
    Predictor constant = new ConstantPredictor(z, 28 * 28);
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

    Evaluator.save(r, dir);
    assertTrue(Files.readString(dir.resolve(Evaluator.REPORT_JSON)).contains("\"ece\""));
    assertTrue(Files.size(dir.resolve(Evaluator.REPORT_PNG)) > 5_000);
  }

  @Test
  void agreementCountsSamePicks() {
    assertEquals(0.75, Evaluator.agreement(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 0}), 0.0);
    assertThrows(IllegalArgumentException.class, () -> Evaluator.agreement(new int[] {1}, new int[] {1, 2}));
  }

  /** Says class 1 with logit z (0 for the other nine) for every sample. */
  private record ConstantPredictor(float z, int sampleSize) implements Predictor {
    @Override
    public Predictions predict(float[] normalizedBatch, int batchSize) {
      float[] logits = new float[batchSize * 10];
      for (int i = 0; i < batchSize; i++) {
        logits[i * 10 + 1] = z;
      }
      return new Predictions(batchSize, 10, logits, 0, new float[0]);
    }

    @Override
    public RuntimeKind activeRuntime() {
      return RuntimeKind.PYTORCH;
    }

    @Override
    public boolean isThreadSafe() {
      return true;
    }

    @Override
    public void close() {}
  }
}
