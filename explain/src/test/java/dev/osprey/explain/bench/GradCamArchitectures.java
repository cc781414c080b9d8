package dev.osprey.explain.bench;

import ai.djl.Model;
import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.DigitBox;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.TrainedDigits;
import dev.osprey.explain.model.DjlNetwork;
import dev.osprey.explain.saliency.BilinearUpsampling;
import dev.osprey.explain.saliency.GradCam;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.runtime.FixtureTrainer;
import java.util.Arrays;
import java.util.Locale;

/**
 * Grad-CAM's concentration (share of the map's mass inside the digit's bounding box, as in
 * {@code TrainedCnnTest.gradCamConcentratesOnTheDigit}) on every fixture test digit, for CNN
 * architectures trained as the fixture is (SGD, batches of 32, seed 11): is the level the
 * served CNN reaches a property of Grad-CAM on such models or of one architecture? A measurement,
 * not a test.
 *
 * <p>Args: {@code [architectures,comma,separated] [steps] [seeds,comma,separated]}; default every CNN
 * of {@link Architectures}, 300 steps and seed 11 (the fixture's).
 */
public final class GradCamArchitectures {
  private GradCamArchitectures() {}

  public static void main(String[] args) {
    String[] archs = (args.length > 0 ? args[0] : String.join(",", Architectures.CNN_STUDENT, Architectures.CNN_TEACHER,
        Architectures.CNN_WIDE, Architectures.CNN_GEMM, Architectures.CNN_PATCH, Architectures.CNN_GAP)).split(",");
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    long[] seeds = Arrays.stream((args.length > 2 ? args[2] : "11").split(",")).mapToLong(Long::parseLong).toArray();
    System.out.println("| architecture | SGD steps | seed | accuracy | > 50% inside the box | misses per true label 0..9 |");
    System.out.println("|---|---|---|---|---|---|");
    inkAtCamResolution(14);
    inkAtCamResolution(7);
    for (String arch : archs) {
      for (long seed : seeds) {
        measure(Architectures.byName(arch, 10), steps, seed);
      }
    }
  }

  private static void measure(NetworkSpec spec, int steps, long seed) {
    Model m = FixtureTrainer.train(spec, TrainedDigits.train(), TrainedDigits.INPUT, steps, 32, 0.05f, seed, s -> {});
    try (DjlNetwork twin = DjlNetwork.borrow(spec, m.getBlock(), m.getNDManager())) {
      int n = TrainedDigits.test().size();
      float[][] x = TrainedDigits.testInputs(0, n);
      GradCam cam = new GradCam(twin, GradCam.Params.defaults());
      int inside = 0;
      int correct = 0;
      int[] misses = new int[10];
      for (int i = 0; i < n; i++) {
        float[] p = twin.scores(new float[][] {x[i]})[0];
        int c = 0;
        for (int k = 1; k < p.length; k++) {
          c = p[k] > p[c] ? k : c;
        }
        int label = TrainedDigits.test().label(i);
        correct += c == label ? 1 : 0;
        AttributionMap a = cam.explain(x[i], c);
        if (DigitBox.massInside(TrainedDigits.test().image(i), a.values(), twin.inputShape()) > 0.5) {
          inside++;
        } else {
          misses[label]++;
        }
      }
      System.out.printf(Locale.ROOT, "| %s | %d | %d | %.1f%% | %d of %d = %.1f%% | %s |%n", spec.name(), steps, seed,
          100.0 * correct / n, inside, n, 100.0 * inside / n, Arrays.toString(misses));
    } finally {
      m.close();
    }
  }

  /**
   * What the map's resolution alone costs: the ink itself, averaged to the {@code size x size} grid
   * of a last conv layer and upsampled back as Grad-CAM's map is. If a map that is exactly the ink
   * at that resolution already spilled over a thin digit's box, no model could pass there.
   */
  private static void inkAtCamResolution(int size) {
    int n = TrainedDigits.test().size();
    int cell = 28 / size;
    int inside = 0;
    int[] misses = new int[10];
    for (int i = 0; i < n; i++) {
      byte[] px = TrainedDigits.test().image(i);
      float[] small = new float[size * size];
      for (int y = 0; y < 28; y++) {
        for (int x = 0; x < 28; x++) {
          small[(y / cell) * size + x / cell] += (px[y * 28 + x] & 0xFF) / (float) (cell * cell);
        }
      }
      float[] up = BilinearUpsampling.resize(small, size, size, 28, 28);
      if (DigitBox.massInside(px, up, new ImageShape(1, 28, 28)) > 0.5) {
        inside++;
      } else {
        misses[TrainedDigits.test().label(i)]++;
      }
    }
    System.out.printf(Locale.ROOT, "| the ink itself at %dx%d, upsampled (resolution alone) | - | - | - | %d of %d = %.1f%% | %s |%n", size, size,
        inside, n, 100.0 * inside / n, Arrays.toString(misses));
  }
}
