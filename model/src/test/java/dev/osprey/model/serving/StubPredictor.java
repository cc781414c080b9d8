package dev.osprey.model.serving;

import dev.osprey.model.InputSpec;
import dev.osprey.model.registry.Architecture;
import dev.osprey.model.registry.FileEntry;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.PredictorException;
import dev.osprey.model.runtime.RuntimeKind;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A predictor for tests that need exact, engine-free answers: a 1x28x28 input whose logit of class
 * {@code c} is the row's value at index {@code c} (so an image whose only bright pixel is pixel
 * {@code c} < 10 is predicted {@code c}), failing on any batch holding a row whose last pixel is
 * bright (a sample the "engine" cannot take). Counts its calls and closes.
 */
public final class StubPredictor implements Predictor {
  public static final int CLASSES = 10;
  public static final int SIZE = 784;

  public final AtomicInteger calls = new AtomicInteger();
  public final AtomicInteger closes = new AtomicInteger();

  @Override
  public Predictions predict(float[] normalizedBatch, int batchSize) throws PredictorException {
    calls.incrementAndGet();
    float[] logits = new float[batchSize * CLASSES];
    for (int r = 0; r < batchSize; r++) {
      if (normalizedBatch[r * SIZE + SIZE - 1] > 0) {
        throw new PredictorException("cannot take row " + r);
      }
      System.arraycopy(normalizedBatch, r * SIZE, logits, r * CLASSES, CLASSES);
    }
    return new Predictions(batchSize, CLASSES, logits, 0, new float[0]);
  }

  @Override
  public int sampleSize() {
    return SIZE;
  }

  @Override
  public RuntimeKind activeRuntime() {
    return RuntimeKind.ONNX_CPU;
  }

  @Override
  public boolean isThreadSafe() {
    return true;
  }

  @Override
  public void close() {
    closes.incrementAndGet();
  }

  /** Version {@code version} of {@code digits} (MNIST input, labels 0-9) served by {@code predictor}, int8 on the CPU. */
  public static LoadedModel loaded(int version, Predictor predictor) {
    ModelManifest m = new ModelManifest(1, TestModels.NAME, version, null, Instant.EPOCH,
        new Architecture("test", Map.of()), InputSpec.mnist(), TestModels.DIGITS,
        Map.of("int8.onnx", new FileEntry("m.onnx", "0".repeat(64), 1)), Map.of(), null, null, null);
    return new LoadedModel(m, predictor, null, RuntimeKind.ONNX_CPU, "int8", null, Instant.EPOCH);
  }
}
