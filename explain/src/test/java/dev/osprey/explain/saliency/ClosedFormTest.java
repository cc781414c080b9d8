package dev.osprey.explain.saliency;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.LinearModel;
import dev.osprey.explain.Method;
import dev.osprey.explain.model.OutputKind;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Gradient methods on a softmax-free linear model, where every answer is known in closed form. */
class ClosedFormTest {
  static final ImageShape SHAPE = new ImageShape(1, 8, 8);
  static final LinearModel MODEL = LinearModel.random(SHAPE, 3, 42);

  static float[] input(long seed) {
    Random r = new Random(seed);
    float[] x = new float[SHAPE.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  @Test
  void gradientEqualsTheWeights() {
    AttributionMap a = new VanillaGradient(MODEL, VanillaGradient.Params.defaults()).explain(input(1), 2);
    assertArrayEquals(MODEL.weights(2), a.values(), 0f);
    assertEquals(Method.GRADIENT, a.method());
    assertNull(a.completenessResidual());
  }

  @Test
  void smoothGradOfALinearModelIsTheGradient() {
    SmoothGrad sg = new SmoothGrad(MODEL, new SmoothGrad.Params(8, 0.2, 7, OutputKind.PROBABILITY));
    AttributionMap a = sg.explain(input(1), 1);
    assertArrayEquals(MODEL.weights(1), a.values(), 1e-6f);
    assertEquals("8", a.parameters().get("samples"));
  }

  @Test
  void integratedGradientsAreInputMinusBaselineTimesWeights() {
    float[] x = input(3);
    for (Baseline base : new Baseline[] {Baseline.constant(-0.5f), Baseline.blurred(1.5),
        Baseline.referenceMean(new float[][] {input(4), input(5)})}) {
      for (IntegratedGradients.Rule rule : IntegratedGradients.Rule.values()) {
        IntegratedGradients ig = new IntegratedGradients(MODEL, IntegratedGradients.Params.of(base).withSteps(5).withRule(rule));
        AttributionMap a = ig.explain(x, 0);
        float[] xb = base.of(x, SHAPE);
        float[] w = MODEL.weights(0);
        for (int i = 0; i < x.length; i++) {
          assertEquals((x[i] - xb[i]) * w[i], a.values()[i], 1e-5, base.describe() + " " + rule + " at " + i);
        }
        // completeness holds exactly for a linear model, whatever the number of steps
        assertEquals(0, a.completenessResidual(), 1e-4, base.describe() + " " + rule);
        assertEquals(base.describe(), a.parameters().get("baseline"));
      }
    }
  }

  @Test
  void blurKeepsAConstantImageAndSmoothsAnImpulse() {
    float[] flat = new float[SHAPE.size()];
    java.util.Arrays.fill(flat, 0.7f);
    assertArrayEquals(flat, GaussianBlur.blur(flat, SHAPE, 2.0), 1e-6f);
    float[] impulse = new float[SHAPE.size()];
    impulse[3 * 8 + 3] = 1f;
    float[] b = GaussianBlur.blur(impulse, SHAPE, 1.0);
    double sum = 0;
    for (float v : b) {
      sum += v;
    }
    assertEquals(1.0, sum, 1e-5);
    assertTrue(b[3 * 8 + 3] < 0.2f && b[3 * 8 + 4] > 0.05f);
  }

  @Test
  void occlusionOfALinearModelIsTheRemovedContribution() {
    // with non-overlapping windows each pixel's value is the drop of its whole window
    float[] x = input(9);
    float fill = -1f;
    AttributionMap a = new Occlusion(MODEL, new Occlusion.Params(4, 4, fill)).explain(x, 1);
    float[] w = MODEL.weights(1);
    for (int wy = 0; wy < 2; wy++) {
      for (int wx = 0; wx < 2; wx++) {
        double drop = 0;
        for (int y = wy * 4; y < wy * 4 + 4; y++) {
          for (int xx = wx * 4; xx < wx * 4 + 4; xx++) {
            drop += w[y * 8 + xx] * (x[y * 8 + xx] - fill);
          }
        }
        assertEquals(drop, a.values()[(wy * 4) * 8 + wx * 4], 1e-4);
        assertEquals(drop, a.values()[(wy * 4 + 3) * 8 + wx * 4 + 3], 1e-4);
      }
    }
  }

  @Test
  void occlusionWindowsCoverTheBorder() {
    assertEquals(java.util.List.of(0, 4, 8, 12, 16, 20, 24), Occlusion.starts(28, 4, 4));
    assertEquals(java.util.List.of(0, 3, 6, 7), Occlusion.starts(10, 3, 3));
  }

  @Test
  void bilinearResizeMatchesHalfPixelCenters() {
    // 2x2 -> 4x4 with align_corners=false: corners keep their value, inner pixels interpolate at 1/4, 3/4
    float[] up = BilinearUpsampling.resize(new float[] {0, 1, 2, 3}, 2, 2, 4, 4);
    assertArrayEquals(new float[] {0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f, 1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3},
        up, 1e-6f);
  }
}
