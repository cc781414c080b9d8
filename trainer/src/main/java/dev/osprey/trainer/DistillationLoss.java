package dev.osprey.trainer;

import ai.djl.ndarray.NDArray;
import dev.osprey.model.Softmax;
import java.util.List;

/**
 * Hinton et al.'s student loss
 * {@code L = alpha * CE(y, softmax(z_s)) + (1 - alpha) * T^2 * CE(softmax(z_t / T), softmax(z_s / T))},
 * averaged over the batch. With {@code alpha = 1} it is plain (label-smoothed) cross-entropy. The
 * T^2 keeps the soft-target gradients' scale independent of T.
 */
public final class DistillationLoss {
  private DistillationLoss() {}

  /**
   * Cross-entropy of {@code targets} (rows summing to 1) against softmax(logits), batch mean.
   */
  public static NDArray crossEntropy(NDArray logits, NDArray targets) {
    return targets.mul(logits.logSoftmax(1)).sum(new int[] {1}).neg().mean();
  }

  /**
   * The distillation loss.
   *
   * @param studentLogits z_s, [N, K]
   * @param hardTargets y as (smoothed) one-hot rows, [N, K]
   * @param softTargets softmax(z_t / T) rows (averaged over teachers), [N, K]; ignored if alpha = 1
   * @param alpha weight of the hard-label term in [0, 1]
   * @param temperature T > 0
   */
  public static NDArray loss(NDArray studentLogits, NDArray hardTargets, NDArray softTargets, float alpha, float temperature) {
    if (alpha < 0 || alpha > 1) {
      throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
    }
    if (temperature <= 0) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    NDArray hard = crossEntropy(studentLogits, hardTargets);
    if (alpha == 1f || softTargets == null) {
      return hard;
    }
    NDArray soft = crossEntropy(studentLogits.div(temperature), softTargets);
    return hard.mul(alpha).add(soft.mul((1 - alpha) * temperature * temperature));
  }

  /** One-hot rows with label smoothing: (1 - eps) on the label plus eps / classes everywhere. */
  public static float[] smoothedOneHot(int[] labels, int classes, float epsilon) {
    float[] out = new float[labels.length * classes];
    float off = epsilon / classes;
    for (int i = 0; i < labels.length; i++) {
      for (int k = 0; k < classes; k++) {
        out[i * classes + k] = off;
      }
      out[i * classes + labels[i]] += 1 - epsilon;
    }
    return out;
  }

  /**
   * Soft targets for a batch from several teachers: the average over teachers of softmax(z_t / T),
   * flattened row-major.
   *
   * @param teacherLogits per teacher, logits rows for the batch
   */
  public static float[] averageSoftTargets(List<float[][]> teacherLogits, float temperature) {
    int n = teacherLogits.get(0).length;
    int k = teacherLogits.get(0)[0].length;
    float[] out = new float[n * k];
    for (float[][] teacher : teacherLogits) {
      for (int i = 0; i < n; i++) {
        float[] p = Softmax.of(teacher[i], temperature);
        for (int c = 0; c < k; c++) {
          out[i * k + c] += p[c] / teacherLogits.size();
        }
      }
    }
    return out;
  }
}
