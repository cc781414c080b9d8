package dev.osprey.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.runtime.DjlNetwork;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The distillation loss against the formula worked out by hand on 3-class vectors. */
class DistillationLossTest {
  static {
    DjlOfflineGuard.install();
  }

  static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager(DjlNetwork.ENGINE);
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  private static final float[] STUDENT = {1f, 2f, 0f};
  private static final float[] TEACHER = {2f, 0f, 1f};

  /** softmax(z / T)_i by hand. */
  private static double p(float[] z, int i, double t) {
    double sum = Math.exp(z[0] / t) + Math.exp(z[1] / t) + Math.exp(z[2] / t);
    return Math.exp(z[i] / t) / sum;
  }

  /** CE(softmax(zt / T), softmax(zs / T)) by hand. */
  private static double softCe(double t) {
    double ce = 0;
    for (int i = 0; i < 3; i++) {
      ce -= p(TEACHER, i, t) * Math.log(p(STUDENT, i, t));
    }
    return ce;
  }

  private float loss(float alpha, float t, int label) {
    NDArray zs = manager.create(STUDENT, new Shape(1, 3));
    NDArray hard = manager.create(DistillationLoss.smoothedOneHot(new int[] {label}, 3, 0f), new Shape(1, 3));
    NDArray soft = manager.create(DistillationLoss.averageSoftTargets(List.<float[][]>of(new float[][] {TEACHER}), t), new Shape(1, 3));
    return DistillationLoss.loss(zs, hard, soft, alpha, t).getFloat();
  }

  @Test
  void matchesHintonFormulaByHand() {
    // alpha = 0.3, T = 2, true class 1:
    // L = 0.3 * -ln p_s(1; T=1) + 0.7 * 4 * CE(p_t(T=2), p_s(T=2))
    double expected = 0.3 * -Math.log(p(STUDENT, 1, 1)) + 0.7 * 4 * softCe(2);
    assertEquals(expected, loss(0.3f, 2f, 1), 1e-5);
    // Worked numbers for this case: -ln p_s(1) = 0.407606, soft CE at T=2 = 1.237330.
    assertEquals(0.4076059644, -Math.log(p(STUDENT, 1, 1)), 1e-9);
  }

  @Test
  void softTermScalesWithTSquared() {
    for (float t : new float[] {1f, 4f, 10f, 20f}) {
      assertEquals(t * t * softCe(t), loss(0f, t, 0), 1e-4 * t * t, "T=" + t);
    }
  }

  @Test
  void alphaOneIsPlainCrossEntropyAndSmoothingShiftsIt() {
    assertEquals(-Math.log(p(STUDENT, 2, 1)), loss(1f, 5f, 2), 1e-5);
    NDArray zs = manager.create(STUDENT, new Shape(1, 3));
    NDArray smoothed = manager.create(DistillationLoss.smoothedOneHot(new int[] {1}, 3, 0.3f), new Shape(1, 3));
    // targets (0.1, 0.8, 0.1)
    double expected = -(0.1 * Math.log(p(STUDENT, 0, 1)) + 0.8 * Math.log(p(STUDENT, 1, 1)) + 0.1 * Math.log(p(STUDENT, 2, 1)));
    assertEquals(expected, DistillationLoss.crossEntropy(zs, smoothed).getFloat(), 1e-5);
  }

  @Test
  void softTargetsAverageTeachers() {
    float[] a = {0f, 0f, 0f};
    float[] b = {Float.NEGATIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY};
    float[] avg = DistillationLoss.averageSoftTargets(List.of(new float[][] {a}, new float[][] {b}), 3f);
    assertArrayEquals(new float[] {1f / 6, 2f / 3, 1f / 6}, avg, 1e-6f);
  }
}
