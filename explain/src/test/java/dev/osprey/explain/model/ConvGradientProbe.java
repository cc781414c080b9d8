package dev.osprey.explain.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.osprey.core.djl.DjlOfflineGuard;
import java.util.Random;

/**
 * Probe (not a test): does one conv layer's batched input gradient equal the per-sample one, by
 * batch size, frozen or trainable weights? Run as a main; prints the worst relative difference.
 */
public final class ConvGradientProbe {
  public static void main(String[] args) {
    DjlOfflineGuard.install();
    System.setProperty("ai.djl.pytorch.num_threads", args.length > 0 ? args[0] : "1");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      manager.getEngine().setRandomSeed(3);
      for (boolean frozen : new boolean[] {true, false}) {
        for (int filters : new int[] {8, 16}) {
          for (int channels : new int[] {1, 8}) {
            Conv2d conv = Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(filters).optPadding(new Shape(1, 1)).build();
            conv.initialize(manager, DataType.FLOAT32, new Shape(1, channels, 28, 28));
            conv.freezeParameters(frozen);
            for (int n : new int[] {1, 2, 4, 34}) {
              float[] flat = new float[n * channels * 784];
              Random rnd = new Random(n);
              for (int i = 0; i < flat.length; i++) {
                flat[i] = (float) rnd.nextGaussian();
              }
              float[] batched = grad(manager, conv, flat, n, channels);
              double worst = 0;
              double scale = 0;
              for (int s = 0; s < n; s++) {
                float[] one = new float[channels * 784];
                System.arraycopy(flat, s * one.length, one, 0, one.length);
                float[] g = grad(manager, conv, one, 1, channels);
                for (int i = 0; i < g.length; i++) {
                  worst = Math.max(worst, Math.abs(g[i] - batched[s * one.length + i]));
                  scale = Math.max(scale, Math.abs(g[i]));
                }
              }
              System.out.printf("frozen=%s filters=%d channels=%d n=%d worst |batched - single| / max = %.3g%n",
                  frozen, filters, channels, n, worst / scale);
            }
          }
        }
      }
    }
  }

  /** d sum(w_o * conv(x)_o) / dx with fixed pseudo-random output weights (not a plain sum). */
  private static float[] grad(NDManager parent, Conv2d conv, float[] flat, int n, int channels) {
    try (NDManager m = parent.newSubManager()) {
      NDArray x = m.create(flat, new Shape(n, channels, 28, 28));
      x.setRequiresGradient(true);
      try (GradientCollector gc = m.getEngine().newGradientCollector()) {
        NDArray y = conv.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
        Shape one = y.getShape().slice(1);
        NDArray w = m.arange((float) one.size()).reshape(one).mul(0.37f).sin();
        gc.backward(y.mul(w).sum());
      }
      return x.getGradient().toFloatArray();
    }
  }
}
