package dev.osprey.monitor.service;

import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.model.InputSpec;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ReferenceProfile;
import dev.osprey.monitor.drift.DriftConfig;
import dev.osprey.monitor.quality.QualityConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A synthetic 3-class model for the service tests: its softmax outputs are drawn from logits
 * {@code margin * onehot(y) + N(0, 1)} with a uniform true class y. The published reference
 * profile comes from the clean margin; a drift lowers the margin (less confident, more mistakes),
 * which BBSD and the confidence test see.
 */
final class MonitorFixtures {
  static final String MODEL = "digits";
  static final int CLASSES = 3;
  static final double CLEAN = 3.0;
  static final double DRIFTED = 1.0;
  static final long T0 = 1_732_350_000_000L;

  private MonitorFixtures() {}

  /** Small windows, an ERT long against the streams used, and a quick calibration. */
  static MonitorSettings settings() {
    DriftConfig drift = DriftConfig.defaults().withErt(20_000).withWindow(50).withCalibration(5, 2_000);
    return new MonitorSettings(drift, new QualityConfig(200, 60_000, 15), 100, 4, 0);
  }

  /** Publishes versions 1 and 2 of the fixture model (same reference) into {@code root}. */
  static ModelRegistry registry(Path root) throws IOException {
    ModelRegistry registry = new ModelRegistry(root);
    Path file = Files.write(Files.createDirectories(root.resolveSibling(root.getFileName() + "-src")).resolve("m.onnx"),
        new byte[] {1, 2, 3});
    for (int v = 1; v <= 2; v++) {
      registry.publish(ModelDraft.builder()
          .setName(MODEL)
          .setArchitecture("mlp", Map.of("hidden", List.of(8)))
          .setInput(InputSpec.mnist())
          .setLabels(List.of("a", "b", "c"))
          .setFile(FileRoles.FP32_ONNX, file)
          .optReference(reference())
          .build());
    }
    return registry;
  }

  static ReferenceProfile reference() {
    SplittableRandom rnd = new SplittableRandom(99);
    List<float[]> rows = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      rows.add(softmax(rnd.nextInt(CLASSES), CLEAN, rnd));
    }
    return ReferenceProfile.fromSoftmax(rows, List.of(), 20, 2000, 7);
  }

  static float[] softmax(int label, double margin, SplittableRandom rnd) {
    double[] z = new double[CLASSES];
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < CLASSES; c++) {
      z[c] = (c == label ? margin : 0) + gaussian(rnd);
      max = Math.max(max, z[c]);
    }
    double sum = 0;
    for (int c = 0; c < CLASSES; c++) {
      z[c] = Math.exp(z[c] - max);
      sum += z[c];
    }
    float[] p = new float[CLASSES];
    for (int c = 0; c < CLASSES; c++) {
      p[c] = (float) (z[c] / sum);
    }
    return p;
  }

  private static double gaussian(SplittableRandom rnd) {
    double u = 1 - rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
  }

  /** One labeled prediction of the replay. */
  record Scored(Prediction prediction, int actual) {
    Outcome outcome(long labelDelayMillis) {
      long t = prediction.timestamp() + labelDelayMillis;
      return Outcome.of(prediction, dev.osprey.core.event.Feedback.of(prediction.sampleId(), actual, "test", t), t);
    }
  }

  /**
   * {@code n} predictions of {@code version}, clean before {@code driftAt}, drifted from it; one
   * every 10 ms from {@code T0 + 10 * first}.
   */
  static List<Scored> replay(int first, int n, int driftAt, int version, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<Scored> out = new ArrayList<>(n);
    for (int i = first; i < first + n; i++) {
      int y = rnd.nextInt(CLASSES);
      float[] p = softmax(y, i < driftAt ? CLEAN : DRIFTED, rnd);
      int best = 0;
      for (int c = 1; c < CLASSES; c++) {
        if (p[c] > p[best]) {
          best = c;
        }
      }
      List<Float> probs = new ArrayList<>(CLASSES);
      for (float v : p) {
        probs.add(v);
      }
      long ts = T0 + 10L * i;
      out.add(new Scored(new Prediction(Prediction.SCHEMA_VERSION, "s-" + i, MODEL, version, best,
          Integer.toString(best), p[best], probs, null, "onnx-cpu", "int8", ts - 2, ts), y));
    }
    return out;
  }
}
