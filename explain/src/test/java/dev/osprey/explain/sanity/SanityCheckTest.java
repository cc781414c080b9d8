package dev.osprey.explain.sanity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.explain.Explainer;
import dev.osprey.explain.Method;
import dev.osprey.explain.TrainedDigits;
import dev.osprey.explain.model.DjlNetwork;
import dev.osprey.explain.model.OutputKind;
import dev.osprey.explain.saliency.Baseline;
import dev.osprey.explain.saliency.GradCam;
import dev.osprey.explain.saliency.IntegratedGradients;
import dev.osprey.explain.saliency.Occlusion;
import dev.osprey.explain.saliency.SmoothGrad;
import dev.osprey.explain.saliency.VanillaGradient;
import dev.osprey.explain.shap.KernelShap;
import dev.osprey.explain.shap.PatchGrid;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SanityCheckTest {
  static DjlNetwork twin;

  @BeforeAll
  static void setUp() {
    twin = DjlNetwork.borrow(TrainedDigits.SPEC, TrainedDigits.model().getBlock(), TrainedDigits.model().getNDManager());
  }

  @AfterAll
  static void tearDown() {
    twin.close();
  }

  /** Every method, sized for a test (the sanity check explains each input once per layer). */
  static Map<Method, Function<DjlNetwork, Explainer>> methods() {
    float black = TrainedDigits.black();
    float[][] background = TrainedDigits.trainInputs(100, 4);
    Map<Method, Function<DjlNetwork, Explainer>> m = new LinkedHashMap<>();
    // Adebayo et al. differentiate the class score (logit), as Grad-CAM does
    m.put(Method.GRADIENT, n -> new VanillaGradient(n, new VanillaGradient.Params(OutputKind.LOGIT)));
    m.put(Method.SMOOTHGRAD, n -> new SmoothGrad(n, new SmoothGrad.Params(8, 0.15, 1, OutputKind.PROBABILITY)));
    m.put(Method.INTEGRATED_GRADIENTS,
        n -> new IntegratedGradients(n, IntegratedGradients.Params.of(Baseline.black(TrainedDigits.INPUT)).withSteps(16)));
    m.put(Method.GRAD_CAM, n -> new GradCam(n, GradCam.Params.defaults()));
    m.put(Method.OCCLUSION, n -> new Occlusion(n, new Occlusion.Params(4, 4, black)));
    m.put(Method.KERNEL_SHAP, n -> new KernelShap(n, background,
        new KernelShap.Params(PatchGrid.ofPatchSize(n.inputShape(), 4, 4), 256, 1)));
    return m;
  }

  static int[] predictions(float[][] x) {
    float[][] p = twin.scores(x);
    int[] out = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      for (int c = 1; c < p[i].length; c++) {
        out[i] = p[i][c] > p[i][out[i]] ? c : out[i];
      }
    }
    return out;
  }

  @Test
  void gradientAndGradCamDecorrelateUnderCascadingRandomization() {
    float[][] x = TrainedDigits.testInputs(0, 8);
    int[] targets = predictions(x);
    float[] before = twin.scores(x)[0];
    SanityCheck.Report r = new SanityCheck(methods(), 17).run(twin, x, targets);
    System.out.println("Spearman of |map| trained vs randomized, mean over 8 test digits:\n" + r.toMarkdown());
    assertEquals(4, r.steps().size(), "cnn-student has 4 learned layers (+ their batch norms)");
    assertEquals("head/dense#0", r.steps().get(0));
    // Acceptance: < 0.3 for both. Measured on this fixture: gradient 0.281 (after a dip to 0.22
    // when the dense layers are gone and a rise to 0.52 with the last conv random: the max-pool
    // routing and ReLU masks of random convolutions still follow the digit's strokes), Grad-CAM 0.284.
    assertTrue(r.atFullRandomization(Method.GRADIENT) < 0.3, "gradient " + r.atFullRandomization(Method.GRADIENT));
    assertTrue(r.atFullRandomization(Method.GRAD_CAM) < 0.3, "gradcam " + r.atFullRandomization(Method.GRAD_CAM));
    // the trained network itself was not touched
    assertEquals(before[0], twin.scores(x)[0][0], 0f);
  }

  @Test
  void theGradCamVariantsThatConcentrateMoreDoNotPassTheSanityCheck() {
    float[][] x = TrainedDigits.testInputs(0, 8);
    int[] targets = predictions(x);
    StringBuilder out = new StringBuilder();
    Map<GradCam.Weights, SanityCheck.Report> reports = new java.util.EnumMap<>(GradCam.Weights.class);
    for (GradCam.Weights w : new GradCam.Weights[] {GradCam.Weights.PLUS_PLUS, GradCam.Weights.XGRAD, GradCam.Weights.HI_RES}) {
      Map<Method, Function<DjlNetwork, Explainer>> variant =
          Map.of(Method.GRAD_CAM, n -> new GradCam(n, new GradCam.Params(OutputKind.LOGIT, true, w)));
      SanityCheck.Report r = new SanityCheck(variant, 17).run(twin, x, targets);
      reports.put(w, r);
      out.append(w).append(":\n").append(r.toMarkdown()).append('\n');
    }
    System.out.println("Grad-CAM variants: Spearman of |map| trained vs randomized, mean over 8 test digits:\n" + out);
    // Measured at full randomization: Grad-CAM++ 0.53 (0.99 with only the head randomized), XGrad-CAM
    // 0.38, HiResCAM 0.36 (0.54, 0.41 and 0.33 on 32 other digits), against 0.28 for the paper's
    // Grad-CAM: the weightings that let the activations, i.e. the input, dominate concentrate better
    // (TrainedCnnTest) but decorrelate less, which is why the service's default stays the paper's
    // Grad-CAM (docs/explain.md). Held to the measured levels, so a change in either direction is noticed.
    double plusPlus = reports.get(GradCam.Weights.PLUS_PLUS).atFullRandomization(Method.GRAD_CAM);
    assertTrue(plusPlus > 0.3 && plusPlus < 0.8, "gradcam++ at full randomization " + plusPlus);
    assertTrue(reports.get(GradCam.Weights.PLUS_PLUS).spearman().get(Method.GRAD_CAM)[0] > 0.9, out.toString());
    for (GradCam.Weights w : new GradCam.Weights[] {GradCam.Weights.XGRAD, GradCam.Weights.HI_RES}) {
      double full = reports.get(w).atFullRandomization(Method.GRAD_CAM);
      assertTrue(full > 0.3 && full < 0.6, w + " at full randomization " + full);
    }
  }

  @Test
  void attributionOrderDeletesEvidenceFasterThanRandomOrder() {
    float[][] x = TrainedDigits.testInputs(20, 8);
    int[] targets = predictions(x);
    DeletionCurve deletion = new DeletionCurve(twin, TrainedDigits.black(), 21);
    StringBuilder table = new StringBuilder("| method | deletion AUC (attribution order) | deletion AUC (random order) |\n|---|---|---|\n");
    double randomArea = 0;
    Map<Method, Double> areas = new LinkedHashMap<>();
    for (var e : methods().entrySet()) {
      Explainer ex = e.getValue().apply(twin);
      double area = 0;
      double rnd = 0;
      for (int i = 0; i < x.length; i++) {
        DeletionCurve.Curve c = deletion.measure(x[i], targets[i], ex.explain(x[i], targets[i]).values(), i);
        area += c.areaByAttribution() / x.length;
        rnd += c.areaRandom() / x.length;
      }
      areas.put(e.getKey(), area);
      randomArea = rnd;
      table.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f |%n", e.getKey().wireName(), area, rnd));
    }
    System.out.println("Deletion curves, mean over 8 test digits (lower = more faithful):\n" + table);
    for (Method m : new Method[] {Method.OCCLUSION, Method.KERNEL_SHAP, Method.INTEGRATED_GRADIENTS}) {
      assertTrue(areas.get(m) < randomArea, m + " " + areas.get(m) + " vs random " + randomArea);
    }
  }
}
