package dev.osprey.model.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.DType;
import dev.osprey.core.event.Tensor;
import dev.osprey.model.InputSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serving path's copies that were cut: a sample's tensor is normalized straight from its bytes
 * (bit-identical to the float path), and the predictor feeds ONNX Runtime from a reused direct
 * buffer (the same answers as ever, also when threads call it at once and some fall back).
 */
class ServingInputTest {
  static {
    DjlOfflineGuard.install();
  }

  @Test
  void normalizingATensorEqualsNormalizingItsFloatsToTheBit() throws Exception {
    SplittableRandom rnd = new SplittableRandom(5);
    InputSpec mnist = InputSpec.mnist();
    byte[] pixels = new byte[784];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) rnd.nextInt(256);
    }
    Tensor uint8 = Tensor.ofUint8(pixels, 1, 28, 28);
    float[] viaTensor = new float[2 * 784];
    float[] viaFloats = new float[2 * 784];
    mnist.normalize(uint8, viaTensor, 784);
    mnist.normalize(uint8.toFloats(), viaFloats, 784);
    assertArrayEquals(viaFloats, viaTensor, 0f);
    float[] viaTable = new float[2 * 784];
    new dev.osprey.model.TensorNormalizer(mnist).normalize(uint8, viaTable, 784);
    assertArrayEquals(viaFloats, viaTable, 0f);
    // every pixel value, three channels of their own
    InputSpec rgb8 = new InputSpec(DType.UINT8, List.of(3, 16, 16), 255f, new float[] {0.485f, 0.456f, 0.406f},
        new float[] {0.229f, 0.224f, 0.225f});
    byte[] all = new byte[3 * 256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) (i % 256);
    }
    Tensor every = Tensor.ofUint8(all, 3, 16, 16);
    float[] byTable = new float[all.length];
    float[] bySpec = new float[all.length];
    new dev.osprey.model.TensorNormalizer(rgb8).normalize(every, byTable, 0);
    rgb8.normalize(every, bySpec, 0);
    assertArrayEquals(bySpec, byTable, 0f);
    assertEquals((255f / 255f - 0.456f) / 0.224f, byTable[256 + 255], 0f, "channel 1, value 255");

    InputSpec rgb = new InputSpec(DType.FLOAT32, List.of(3, 2, 2), 1f, new float[] {0.1f, 0.2f, 0.3f},
        new float[] {0.5f, 0.25f, 2f});
    float[] values = new float[12];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) rnd.nextGaussian();
    }
    Tensor float32 = Tensor.ofFloat32(values, 3, 2, 2);
    float[] a = new float[12];
    float[] b = new float[12];
    rgb.normalize(float32, a, 0);
    rgb.normalize(float32.toFloats(), b, 0);
    assertArrayEquals(b, a, 0f);
    assertEquals((values[5] / 1f - 0.2f) / 0.25f, a[5], 0f, "channel 1 of three");
  }

  @Test
  void predictionsFromTheReusedBufferEqualFreshOnesAlsoUnderConcurrentCalls(@TempDir Path dir) throws Exception {
    Path model = OnnxPredictorsTest.exportRandomMlp(dir);
    SplittableRandom rnd = new SplittableRandom(9);
    List<float[]> batches = new ArrayList<>();
    for (int k = 0; k < 8; k++) {
      float[] x = new float[(k + 1) * 16];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) rnd.nextGaussian();
      }
      batches.add(x);
    }
    try (OnnxPredictor p = OnnxPredictor.openCpu(model, OrtConfig.cpu(1))) {
      List<float[]> expected = new ArrayList<>();
      for (float[] x : batches) {
        expected.add(p.predict(x, x.length / 16).logits());
      }
      // larger and smaller batches through the same buffer, in another order
      for (int k = batches.size() - 1; k >= 0; k--) {
        assertArrayEquals(expected.get(k), p.predict(batches.get(k), batches.get(k).length / 16).logits(), 0f);
      }
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<float[]>> answers = new ArrayList<>();
        for (int round = 0; round < 50; round++) {
          float[] x = batches.get(round % batches.size());
          answers.add(pool.submit(() -> p.predict(x, x.length / 16).logits()));
        }
        for (int round = 0; round < answers.size(); round++) {
          assertArrayEquals(expected.get(round % batches.size()), answers.get(round).get(), 0f, "call " + round);
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void logitsAloneEqualTheFullCallsAndCopyNoEmbedding(@TempDir Path dir) throws Exception {
    Path model = OnnxPredictorsTest.exportRandomMlp(dir);
    SplittableRandom rnd = new SplittableRandom(13);
    float[] rows = new float[10 * 16];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = (float) rnd.nextGaussian();
    }
    try (OnnxPredictor p = OnnxPredictor.openCpu(model, OrtConfig.cpu(1))) {
      Predictions full = p.predict(rows, 3, 5, true);
      Predictions logits = p.predict(rows, 3, 5, false);
      assertEquals(6, full.embeddingSize());
      assertEquals(0, logits.embeddingSize());
      assertEquals(0, logits.embedding().length);
      assertArrayEquals(full.logits(), logits.logits(), 0f);
      assertEquals(5 * full.classes(), logits.logits().length);
      // and the interface's default (engines that cannot skip it) drops the embedding after the call
      Predictor plain = new Predictor() {
        @Override
        public Predictions predict(float[] normalizedBatch, int batchSize) throws PredictorException {
          return p.predict(normalizedBatch, batchSize);
        }

        @Override
        public int sampleSize() {
          return p.sampleSize();
        }

        @Override
        public RuntimeKind activeRuntime() {
          return p.activeRuntime();
        }

        @Override
        public boolean isThreadSafe() {
          return true;
        }

        @Override
        public void close() {}
      };
      Predictions dropped = plain.predict(rows, 3, 5, false);
      assertEquals(0, dropped.embeddingSize());
      assertArrayEquals(full.logits(), dropped.logits(), 0f);
      assertArrayEquals(full.embedding(), plain.predict(rows, 3, 5, true).embedding(), 0f);
    }
  }
}
