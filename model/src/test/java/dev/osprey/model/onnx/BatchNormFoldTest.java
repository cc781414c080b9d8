package dev.osprey.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BatchNormFoldTest {

  @Test
  void foldMatchesClosedForm() {
    // two output channels, two weights each
    float[] w = {1f, 2f, -3f, 4f};
    float[] b = {0.5f, -1f};
    float[] gamma = {2f, 0.5f};
    float[] beta = {1f, -2f};
    float[] mean = {0.5f, 1f};
    float[] var = {3f, 0.25f};
    float eps = 1f; // k = gamma / sqrt(var + eps) = {2/2, 0.5/sqrt(1.25)}
    BatchNormFold f = BatchNormFold.fold(w, b, gamma, beta, mean, var, eps);
    float k1 = (float) (0.5 / Math.sqrt(1.25));
    assertArrayEquals(new float[] {1f, 2f, -3f * k1, 4f * k1}, f.weight(), 1e-6f);
    // b' = (b - mean) * k + beta
    assertArrayEquals(new float[] {(0.5f - 0.5f) * 1f + 1f, (-1f - 1f) * k1 - 2f}, f.bias(), 1e-6f);
  }

  @Test
  void foldedLayerEqualsLayerThenBatchNorm() {
    // y = bn(w.x + b) for a dense layer [2 out, 3 in] on one input, computed both ways
    float[] w = {0.3f, -0.2f, 0.7f, 1.1f, 0.4f, -0.9f};
    float[] b = {0.1f, -0.3f};
    float[] gamma = {1.3f, 0.7f};
    float[] beta = {-0.2f, 0.4f};
    float[] mean = {0.05f, -0.6f};
    float[] var = {0.8f, 2.5f};
    float eps = 1e-5f;
    float[] x = {1.5f, -2f, 0.25f};
    BatchNormFold f = BatchNormFold.fold(w, b, gamma, beta, mean, var, eps);
    for (int c = 0; c < 2; c++) {
      double z = b[c];
      double zf = f.bias()[c];
      for (int j = 0; j < 3; j++) {
        z += w[c * 3 + j] * x[j];
        zf += f.weight()[c * 3 + j] * x[j];
      }
      double bn = gamma[c] * (z - mean[c]) / Math.sqrt(var[c] + eps) + beta[c];
      assertEquals(bn, zf, 1e-5);
    }
  }

  @Test
  void missingBiasCountsAsZero() {
    BatchNormFold f = BatchNormFold.fold(new float[] {1f}, null, new float[] {1f}, new float[] {0f},
        new float[] {2f}, new float[] {1f}, 0f);
    assertArrayEquals(new float[] {-2f}, f.bias(), 1e-6f);
  }

  @Test
  void rejectsMismatchedLengths() {
    assertThrows(IllegalArgumentException.class, () -> BatchNormFold.fold(new float[] {1f, 2f, 3f}, null,
        new float[] {1f, 1f}, new float[] {0f, 0f}, new float[] {0f, 0f}, new float[] {1f, 1f}, 0f));
  }
}
