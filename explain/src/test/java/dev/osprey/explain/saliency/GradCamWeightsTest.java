package dev.osprey.explain.saliency;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.osprey.explain.ImageShape;
import dev.osprey.explain.model.FeatureMapGradients;
import dev.osprey.explain.model.GradientModel;
import dev.osprey.explain.model.InputGradients;
import dev.osprey.explain.model.ModelRuntime;
import dev.osprey.explain.model.OutputKind;
import org.junit.jupiter.api.Test;

/** Each channel weighting of {@link GradCam} against maps worked out by hand on two 2x2 channels. */
class GradCamWeightsTest {
  // A 1x2x2 input whose last conv layer is two 2x2 maps: upsampling 2x2 to 2x2 is the identity.
  static final float[] A = {1, 2, 0, 1, /* channel 1 */ 0, 1, 3, 0};
  static final float[] G = {1, 1, 2, 0, /* channel 1 */ 0.5f, 0.5f, -1, 1};

  static float[] map(GradCam.Weights weights) {
    GradientModel fixed = new GradientModel() {
      @Override
      public ImageShape inputShape() {
        return new ImageShape(1, 2, 2);
      }

      @Override
      public int classes() {
        return 2;
      }

      @Override
      public ModelRuntime runtime() {
        return new ModelRuntime("test", "fp32");
      }

      @Override
      public InputGradients inputGradients(float[][] inputs, int[] targets, OutputKind output) {
        throw new UnsupportedOperationException();
      }

      @Override
      public FeatureMapGradients featureMapGradients(float[][] inputs, int[] targets, OutputKind output) {
        return new FeatureMapGradients(new float[][] {{0, 1}}, 2, 2, 2, new float[][] {A}, new float[][] {G});
      }
    };
    return new GradCam(fixed, new GradCam.Params(OutputKind.LOGIT, true, weights)).explain(new float[4], 1).values();
  }

  @Test
  void gradientMeanWeighsEachChannelByItsMeanGradient() {
    // alpha = (1 + 1 + 2 + 0) / 4 = 1 and (0.5 + 0.5 - 1 + 1) / 4 = 0.25
    assertArrayEquals(new float[] {1, 2.25f, 0.75f, 1}, map(GradCam.Weights.GRADIENT_MEAN), 1e-6f);
  }

  @Test
  void xGradCamWeighsTheGradientByTheActivations() {
    // alpha = (1 + 2 + 0 + 0) / 4 = 0.75 and (0 + 0.5 - 3 + 0) / 4 = -0.625; then ReLU
    assertArrayEquals(new float[] {0.75f, 0.875f, 0, 0.75f}, map(GradCam.Weights.XGRAD), 1e-6f);
  }

  @Test
  void hiResCamSumsGradientTimesActivationPerPosition() {
    // channel 0: 1, 2, 0, 0; channel 1: 0, 0.5, -3, 0; sum 1, 2.5, -3, 0; then ReLU
    assertArrayEquals(new float[] {1, 2.5f, 0, 0}, map(GradCam.Weights.HI_RES), 1e-6f);
  }

  @Test
  void gradCamPlusPlusCountsPositiveGradientsPerPosition() {
    // w = sum over g > 0 of g^2 / (2 g^2 + sum(A) g^3) * g, sum(A) = 4 in both channels:
    // channel 0: 1/6 + 1/6 + 4/40 * 2 = 8/15; channel 1: 0.25 * 0.5 * 2 + 1/6 = 5/12
    float w0 = 8f / 15;
    float w1 = 5f / 12;
    assertArrayEquals(new float[] {w0, 2 * w0 + w1, 3 * w1, w0}, map(GradCam.Weights.PLUS_PLUS), 1e-6f);
  }
}
