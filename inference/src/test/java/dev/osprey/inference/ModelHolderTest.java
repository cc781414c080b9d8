package dev.osprey.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.model.InputSpec;
import dev.osprey.model.registry.Architecture;
import dev.osprey.model.registry.FileEntry;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.RuntimeKind;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ModelHolderTest {

  /** Counts closes; predicts nothing. */
  static final class CountingPredictor implements Predictor {
    final AtomicInteger closes = new AtomicInteger();

    @Override
    public Predictions predict(float[] normalizedBatch, int batchSize) {
      return new Predictions(batchSize, 2, new float[batchSize * 2], 0, new float[0]);
    }

    @Override
    public int sampleSize() {
      return 784;
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
  }

  static LoadedModel model(int version, CountingPredictor p) {
    ModelManifest m = new ModelManifest(1, "digits", version, null, Instant.EPOCH, new Architecture("test", Map.of()),
        InputSpec.mnist(), TestModels.DIGITS, Map.of("int8.onnx", new FileEntry("m.onnx", "0".repeat(64), 1)),
        Map.of(), null, null, null);
    return new LoadedModel(m, p, null, RuntimeKind.ONNX_CPU, "int8", null, Instant.EPOCH);
  }

  @Test
  void swapClosesTheOldModelOnlyAfterItsLastBatch() {
    ModelHolder holder = new ModelHolder();
    assertNull(holder.acquire());
    CountingPredictor p1 = new CountingPredictor();
    CountingPredictor p2 = new CountingPredictor();
    holder.swap(model(1, p1));

    LoadedModel inFlight = holder.acquire();
    assertEquals(1, inFlight.ref().version());
    holder.swap(model(2, p2));
    assertEquals(0, p1.closes.get(), "closed under a running batch");
    assertEquals(2, holder.acquire().ref().version());

    inFlight.release();
    assertEquals(1, p1.closes.get());
    assertTrue(inFlight.isClosed());
    assertFalse(inFlight.tryRetain(), "a closed model cannot be retained again");
    assertThrows(IllegalStateException.class, inFlight::release);
  }

  @Test
  void closeDropsTheCurrentModel() throws Exception {
    ModelHolder holder = new ModelHolder();
    CountingPredictor p = new CountingPredictor();
    LoadedModel m = model(3, p);
    holder.swap(m);
    assertTrue(holder.awaitModel(Duration.ofMillis(1)));
    assertSame(m, holder.peek());
    holder.close();
    assertEquals(1, p.closes.get());
    assertNull(holder.peek());
    assertFalse(holder.awaitModel(Duration.ofMillis(5)));
  }
}
