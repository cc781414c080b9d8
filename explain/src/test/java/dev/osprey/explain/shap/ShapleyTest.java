package dev.osprey.explain.shap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.LinearModel;
import dev.osprey.explain.model.ModelRuntime;
import dev.osprey.explain.model.ScoreFunction;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShapleyTest {

  @Test
  void exactShapleyReproducesTheLectureTable() {
    // costs of A, B, C and their coalitions; bit 0 = A, bit 1 = B, bit 2 = C
    double[] cost = {0, 400, 560, 740, 720, 780, 980, 1000};
    double[] phi = ExactShapley.values(3, mask -> cost[(int) mask]);
    assertArrayEquals(new double[] {180, 360, 460}, phi, 1e-9);
  }

  @Test
  void kernelShapOnALinearModelWithIndependentBackgroundIsWTimesXMinusMean() {
    ImageShape shape = new ImageShape(1, 6, 6);
    LinearModel model = LinearModel.random(shape, 2, 5);
    PatchGrid grid = PatchGrid.ofPatchSize(shape, 1, 1); // every pixel is a feature: 36 players
    float[][] background = gaussians(shape, 10, 8);
    float[] x = gaussians(shape, 1, 9)[0];
    // a budget far below 2^36: an additive game lies in the regression's model class, so any
    // design with enough distinct coalitions recovers it exactly
    AttributionMap a = new KernelShap(model, background, new KernelShap.Params(grid, 200, 3)).explain(x, 1);
    float[] w = model.weights(1);
    for (int i = 0; i < shape.size(); i++) {
      double mean = 0;
      for (float[] b : background) {
        mean += b[i];
      }
      mean /= background.length;
      assertEquals(w[i] * (x[i] - mean), a.featureValues()[i], 1e-4, "feature " + i);
    }
    assertEquals(0, a.completenessResidual(), 1e-6);
  }

  @Test
  void kernelShapWithABudgetCoveringEveryCoalitionIsExact() {
    PatchGame game = nonlinearGame();
    double[] exact = ExactShapley.values(game);
    AttributionMap a = new KernelShap(NONLINEAR, BACKGROUND, new KernelShap.Params(game.grid(), 1 << 13, 1))
        .explain(INPUT, 0);
    for (int i = 0; i < 12; i++) {
      assertEquals(exact[i], a.featureValues()[i], 1e-6, "patch " + i);
    }
  }

  @Test
  void kernelShapWithALargeBudgetIsWithinOnePercentOfExactShapley() {
    PatchGame game = nonlinearGame();
    double[] exact = ExactShapley.values(game);
    // 3072 of the 4094 coalitions: the outer sizes enumerated, the middle sizes sampled
    AttributionMap a = new KernelShap(NONLINEAR, BACKGROUND, new KernelShap.Params(game.grid(), 3072, 1))
        .explain(INPUT, 0);
    double l1 = 0;
    double norm = 0;
    for (int i = 0; i < 12; i++) {
      l1 += Math.abs(a.featureValues()[i] - exact[i]);
      norm += Math.abs(exact[i]);
    }
    double efficiency = 0;
    for (double v : exact) {
      efficiency += v;
    }
    assertEquals(a.targetScore() - a.referenceScore(), efficiency, 1e-6, "exact values sum to f(x) - E[f]");
    System.out.printf("KernelSHAP 3072/4094 coalitions vs exact Shapley, 12 patches: relative L1 error %.5f%n", l1 / norm);
    assertTrue(l1 / norm < 0.01, "relative L1 error " + l1 / norm);
    assertEquals(0, a.completenessResidual(), 1e-9);
  }

  @Test
  void designEnumeratesOuterSizesWithKernelWeightsAndPairsSamples() {
    KernelShap.Design d = KernelShap.design(12, 2048, new Random(1));
    assertEquals(2048, d.masks().length);
    double total = 0;
    for (double w : d.weights()) {
      total += w;
    }
    assertEquals(1.0, total, 1e-9, "weights hold the whole kernel mass");
    // the first 24 rows are the 12 singletons, each followed by its complement
    for (int i = 0; i < 12; i++) {
      assertEquals(1L << i, d.masks()[2 * i]);
      assertEquals(((1L << 12) - 1) & ~(1L << i), d.masks()[2 * i + 1]);
    }
  }

  @Test
  void patchGridsTileTheImage() {
    ImageShape s = new ImageShape(1, 28, 28);
    PatchGrid g = PatchGrid.ofPatchSize(s, 4, 4);
    assertEquals(49, g.size());
    assertEquals("7x7 grid of 4x4", g.toString());
    PatchGrid twelve = PatchGrid.ofCount(s, 4, 3);
    assertEquals(12, twelve.size());
    int covered = 0;
    for (int p = 0; p < twelve.size(); p++) {
      covered += twelve.pixels(p).length;
    }
    assertEquals(784, covered);
  }

  // --- a nonlinear 12-patch game: a softmax over pairwise products of patch means ---

  static final ImageShape SMALL = new ImageShape(1, 8, 6);
  static final float[] INPUT = gaussians(SMALL, 1, 21)[0];
  static final float[][] BACKGROUND = gaussians(SMALL, 6, 22);
  static final ScoreFunction NONLINEAR = new ScoreFunction() {
    final float[][] w = {gaussians(SMALL, 1, 24)[0], gaussians(SMALL, 1, 25)[0], gaussians(SMALL, 1, 26)[0]};

    @Override
    public float[][] scores(float[][] inputs) {
      float[][] out = new float[inputs.length][];
      for (int r = 0; r < inputs.length; r++) {
        double[] z = new double[3];
        for (int c = 0; c < 3; c++) {
          double lin = 0;
          for (int i = 0; i < SMALL.size(); i++) {
            lin += w[c][i] * inputs[r][i];
          }
          z[c] = 0.3 * lin + 0.2 * inputs[r][c * 7] * inputs[r][40 - c * 5] + Math.tanh(inputs[r][c + 10]);
        }
        double max = Math.max(z[0], Math.max(z[1], z[2]));
        double s = 0;
        for (double v : z) {
          s += Math.exp(v - max);
        }
        out[r] = new float[3];
        for (int c = 0; c < 3; c++) {
          out[r][c] = (float) (Math.exp(z[c] - max) / s);
        }
      }
      return out;
    }

    @Override
    public ImageShape inputShape() {
      return SMALL;
    }

    @Override
    public int classes() {
      return 3;
    }

    @Override
    public ModelRuntime runtime() {
      return new ModelRuntime("java", "fp64");
    }
  };

  static PatchGame nonlinearGame() {
    return new PatchGame(NONLINEAR, INPUT, BACKGROUND, PatchGrid.ofCount(SMALL, 4, 3), 0);
  }

  static float[][] gaussians(ImageShape shape, int count, long seed) {
    Random r = new Random(seed);
    float[][] out = new float[count][shape.size()];
    for (float[] row : out) {
      for (int i = 0; i < row.length; i++) {
        row[i] = (float) r.nextGaussian();
      }
    }
    return out;
  }
}
