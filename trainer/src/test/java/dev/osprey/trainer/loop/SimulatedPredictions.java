package dev.osprey.trainer.loop;

import java.util.Random;

/**
 * Seeded, realistic predictions of several models on one population of 10-class samples. Errors
 * are correlated as real models' are: each sample has a hardness shared by all models and a
 * plausible confusion class (a 4 looks like a 9); a model errs on a sample through the shared
 * hardness with probability {@code shared}, independently otherwise, and when it errs it names the
 * sample's confusion class 70% of the time, so models often make the same mistake.
 */
final class SimulatedPredictions {
  static final int CLASSES = 10;

  /** True labels, shared hardness in [0, 1) and a confusion class != label per sample. */
  record Population(int[] truth, double[] hardness, int[] confusion) {
    int size() {
      return truth.length;
    }
  }

  private SimulatedPredictions() {}

  static Population population(int n, long seed) {
    Random rng = new Random(seed);
    int[] truth = new int[n];
    double[] hardness = new double[n];
    int[] confusion = new int[n];
    for (int i = 0; i < n; i++) {
      truth[i] = rng.nextInt(CLASSES);
      hardness[i] = rng.nextDouble();
      confusion[i] = otherClass(truth[i], rng);
    }
    return new Population(truth, hardness, confusion);
  }

  /** A model with expected error rate {@code error}, labels taken from {@code truth}. */
  static int[] model(Population p, int[] truth, double error, double shared, long seed) {
    Random rng = new Random(seed);
    int[] out = new int[p.size()];
    for (int i = 0; i < out.length; i++) {
      boolean wrong = rng.nextDouble() < shared ? p.hardness()[i] < error : rng.nextDouble() < error;
      int confusion = p.confusion()[i] == truth[i] ? otherClass(truth[i], rng) : p.confusion()[i];
      out[i] = !wrong ? truth[i] : rng.nextDouble() < 0.7 ? confusion : otherClass(truth[i], rng);
    }
    return out;
  }

  static int[] model(Population p, double error, long seed) {
    return model(p, p.truth(), error, 0.6, seed);
  }

  /** Labels with a share {@code f} flipped to a uniformly random other class. */
  static int[] flip(int[] labels, double f, long seed) {
    Random rng = new Random(seed);
    int[] out = labels.clone();
    for (int i = 0; i < out.length; i++) {
      if (rng.nextDouble() < f) {
        out[i] = otherClass(out[i], rng);
      }
    }
    return out;
  }

  /** Labels with every {@code from} relabeled {@code to} (a change of the labels' meaning). */
  static int[] relabel(int[] labels, int from, int to) {
    int[] out = labels.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] = out[i] == from ? to : out[i];
    }
    return out;
  }

  /** {@code predictions} with a share {@code f} changed (int8 rounding flipping a close call). */
  static int[] perturb(int[] predictions, double f, long seed) {
    return flip(predictions, f, seed);
  }

  private static int otherClass(int label, Random rng) {
    int c = rng.nextInt(CLASSES - 1);
    return c >= label ? c + 1 : c;
  }
}
