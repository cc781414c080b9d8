package dev.osprey.explain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.osprey.explain.TrainedDigits;
import dev.osprey.model.net.LayerSpec;
import dev.osprey.model.net.NetworkSpec;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DjlNetworkTest {
  /** Softmax-free in LOGIT mode and linear: flatten, dense 16, dense 10. */
  static final NetworkSpec LINEAR = new NetworkSpec("linear", List.of(1, 28, 28),
      List.of(new LayerSpec.DropoutLayer(0f)), List.of(new LayerSpec.Flatten(), new LayerSpec.Dense(16)), 10);

  static NDManager manager;
  static DjlNetwork linear;
  static DjlNetwork cnn;
  static float[][] weights; // effective 10 x 784 matrix of LINEAR

  @BeforeAll
  static void setUp() {
    TrainedDigits.model();
    manager = NDManager.newBaseManager("PyTorch");
    manager.getEngine().setRandomSeed(3);
    Block block = LINEAR.build();
    block.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
    linear = DjlNetwork.borrow(LINEAR, block, manager);
    float[] w1 = param(block, NetworkSpec.EMBEDDING, 1); // [16, 784]
    float[] w2 = param(block, NetworkSpec.HEAD, 0); // [10, 16]
    weights = new float[10][784];
    for (int c = 0; c < 10; c++) {
      for (int i = 0; i < 784; i++) {
        double s = 0;
        for (int h = 0; h < 16; h++) {
          s += w2[c * 16 + h] * (double) w1[h * 784 + i];
        }
        weights[c][i] = (float) s;
      }
    }
    cnn = DjlNetwork.borrow(TrainedDigits.SPEC, TrainedDigits.model().getBlock(), TrainedDigits.model().getNDManager());
  }

  @AfterAll
  static void tearDown() {
    linear.close();
    cnn.close();
    manager.close();
  }

  private static float[] param(Block net, int stage, int layer) {
    Block b = net.getChildren().values().get(stage).getChildren().values().get(layer);
    for (Parameter p : b.getDirectParameters().values()) {
      if (p.getName().equals("weight")) {
        return p.getArray().toFloatArray();
      }
    }
    throw new IllegalStateException("no weight");
  }

  @Test
  void linearLogitGradientEqualsTheWeights() {
    float[][] x = TrainedDigits.testInputs(0, 3);
    InputGradients g = linear.inputGradients(x, new int[] {0, 4, 9}, OutputKind.LOGIT);
    assertArrayEquals(weights[0], g.gradients()[0], 1e-6f);
    assertArrayEquals(weights[4], g.gradients()[1], 1e-6f);
    assertArrayEquals(weights[9], g.gradients()[2], 1e-6f);
  }

  @Test
  void gradientsDoNotAccumulateAndParametersStayFrozen() {
    float[][] x = TrainedDigits.testInputs(0, 2);
    InputGradients a = cnn.inputGradients(x, new int[] {7, 2}, OutputKind.PROBABILITY);
    InputGradients b = cnn.inputGradients(x, new int[] {7, 2}, OutputKind.PROBABILITY);
    assertArrayEquals(a.gradients()[0], b.gradients()[0]);
    assertArrayEquals(a.gradients()[1], b.gradients()[1]);
    for (Parameter p : cnn.block().getParameters().values()) {
      assertFalse(p.requiresGradient(), p.getName());
      assertFalse(p.getArray().hasGradient(), p.getName() + " collected a gradient");
    }
  }

  /**
   * The digits with a little noise. A clean digit's flat black background makes exact ties in
   * max-pooling (and ReLUs exactly at 0), where the network is not differentiable: the gradient
   * is then one subgradient among several, and which one can depend on float rounding.
   */
  static float[][] noisyDigits(int from, int count) {
    float[][] x = TrainedDigits.testInputs(from, count);
    java.util.Random rnd = new java.util.Random(5);
    for (float[] row : x) {
      for (int i = 0; i < row.length; i++) {
        row[i] += (float) (0.05 * rnd.nextGaussian());
      }
    }
    return x;
  }

  @Test
  void aBatchGivesTheSameGradientsAsSingleSamples() {
    float[][] x = noisyDigits(10, 3);
    int[] t = {1, 5, 3};
    // surefire starts the JVM with ONEDNN_MAX_CPU_ISA=AVX2, so the batched path runs
    assertTrue(cnn.batchedGradientsExact(), "batched conv input gradients are wrong on this engine");
    // logits: a saturated softmax would turn float rounding into large relative differences
    InputGradients batch = cnn.inputGradients(x, t, OutputKind.LOGIT);
    for (int i = 0; i < 3; i++) {
      InputGradients one = cnn.inputGradients(new float[][] {x[i]}, new int[] {t[i]}, OutputKind.LOGIT);
      // batched convolutions may sum in another order: equal up to float rounding
      assertArrayEquals(one.gradients()[0], batch.gradients()[i], 1e-4f * maxAbs(one.gradients()[0]) + 1e-9f);
      assertArrayEquals(one.outputs()[0], batch.outputs()[i], 1e-4f);
    }
  }

  static float maxAbs(float[] v) {
    float m = 0;
    for (float f : v) {
      m = Math.max(m, Math.abs(f));
    }
    return m;
  }

  @Test
  void batchedFeatureMapGradientsEqualSingleSamples() {
    float[][] x = noisyDigits(20, 3);
    int[] t = {4, 0, 8};
    FeatureMapGradients batch = cnn.featureMapGradients(x, t, OutputKind.LOGIT);
    for (int i = 0; i < 3; i++) {
      FeatureMapGradients one = cnn.featureMapGradients(new float[][] {x[i]}, new int[] {t[i]}, OutputKind.LOGIT);
      assertArrayEquals(one.gradients()[0], batch.gradients()[i], 1e-4f * maxAbs(one.gradients()[0]) + 1e-9f);
      assertArrayEquals(one.activations()[0], batch.activations()[i], 1e-4f);
    }
  }

  @Test
  void gradientsMatchCentralDifferences() {
    float[] digit = noisyDigits(0, 1)[0];
    // a half-faded digit: the trained model is unsure there, so p_c is not saturated
    float[] faded = digit.clone();
    for (int i = 0; i < faded.length; i++) {
      faded[i] = 0.5f * faded[i] + 0.5f * TrainedDigits.black();
    }
    assertDirectionalDerivative(digit, 7, OutputKind.LOGIT);
    assertDirectionalDerivative(faded, 7, OutputKind.PROBABILITY);
  }

  private static void assertDirectionalDerivative(float[] x, int c, OutputKind kind) {
    InputGradients at = cnn.inputGradients(new float[][] {x}, new int[] {c}, kind);
    float[] g = at.gradients()[0];
    double norm2 = 0;
    for (float v : g) {
      norm2 += v * (double) v;
    }
    // directional derivative along the gradient: (f(x + h g) - f(x - h g)) / 2h = |g|^2
    double h = 1e-3 / Math.sqrt(norm2); // small: a ReLU/max-pool network has kinks
    float[] plus = x.clone();
    float[] minus = x.clone();
    for (int i = 0; i < x.length; i++) {
      plus[i] += (float) (h * g[i]);
      minus[i] -= (float) (h * g[i]);
    }
    float[][] out = cnn.inputGradients(new float[][] {plus, minus}, new int[] {c, c}, kind).outputs();
    double numeric = (out[0][c] - out[1][c]) / (2 * h);
    assertTrue(norm2 > 1e-6, kind + ": gradient too small to check, |g|^2 = " + norm2);
    assertEquals(norm2, numeric, 0.05 * norm2, kind.toString());
  }

  @Test
  void featureMapsAreTheLastConvBeforePooling() {
    float[][] x = TrainedDigits.testInputs(0, 2);
    FeatureMapGradients f = cnn.featureMapGradients(x, new int[] {7, 2}, OutputKind.LOGIT);
    assertEquals(16, f.channels());
    assertEquals(14, f.height());
    assertEquals(14, f.width());
    float min = Float.MAX_VALUE;
    for (float v : f.activations()[0]) {
      min = Math.min(min, v);
    }
    assertTrue(min >= 0, "activations are post-ReLU");
    // same logits as the plain forward pass
    float[][] logits = cnn.inputGradients(x, new int[] {7, 2}, OutputKind.LOGIT).outputs();
    assertArrayEquals(logits[0], f.outputs()[0], 1e-5f);
    assertThrows(UnsupportedOperationException.class,
        () -> linear.featureMapGradients(x, new int[] {0, 0}, OutputKind.LOGIT));
  }

  @Test
  void aCopyScoresLikeTheOriginalAndIsIndependent() {
    float[][] x = TrainedDigits.testInputs(0, 4);
    try (DjlNetwork copy = cnn.copy()) {
      float[][] a = cnn.scores(x);
      float[][] b = copy.scores(x);
      for (int i = 0; i < x.length; i++) {
        assertArrayEquals(a[i], b[i], 1e-6f);
      }
      Parameter first = copy.block().getParameters().values().get(0);
      first.getArray().set(new float[(int) first.getArray().size()]);
      assertFalse(java.util.Arrays.equals(a[0], copy.scores(x)[0]));
      assertArrayEquals(a[0], cnn.scores(x)[0], 0f);
    }
  }

  @Test
  void rejectsBadInputs() {
    assertThrows(IllegalArgumentException.class,
        () -> cnn.inputGradients(new float[][] {new float[10]}, new int[] {0}, OutputKind.LOGIT));
    assertThrows(IllegalArgumentException.class,
        () -> cnn.inputGradients(TrainedDigits.testInputs(0, 1), new int[] {10}, OutputKind.LOGIT));
  }
}
