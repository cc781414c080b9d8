package dev.osprey.explain.service;

import dev.osprey.core.config.ConfigSource;
import dev.osprey.explain.Explainer;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.Method;
import dev.osprey.explain.model.GradientModel;
import dev.osprey.explain.model.OutputKind;
import dev.osprey.explain.model.ScoreFunction;
import dev.osprey.explain.saliency.Baseline;
import dev.osprey.explain.saliency.GradCam;
import dev.osprey.explain.saliency.IntegratedGradients;
import dev.osprey.explain.saliency.Occlusion;
import dev.osprey.explain.saliency.SmoothGrad;
import dev.osprey.explain.saliency.VanillaGradient;
import dev.osprey.explain.shap.KernelShap;
import dev.osprey.explain.shap.PatchGrid;
import dev.osprey.model.InputSpec;

/**
 * The methods' parameters in the service and the command line, and how explainers are built from
 * them for one model version.
 *
 * @param igSteps Integrated Gradients steps (black baseline), >= 1
 * @param igRule Integrated Gradients quadrature ({@code explain.ig.rule}: midpoint, trapezoid, adaptive)
 * @param igOutput the output Integrated Gradients attributes ({@code explain.ig.output}: probability, the
 *     default, or logit, the served graph's own output, piecewise linear along the path, so the
 *     adaptive rule's residual is smaller)
 * @param gradCamWeights Grad-CAM's channel weights ({@code explain.gradcam.weights}: gradient-mean, the
 *     paper's, or plus-plus, Grad-CAM++)
 * @param smoothGradSamples SmoothGrad noisy copies, >= 1
 * @param smoothGradNoise SmoothGrad sigma as a fraction of the input's range, >= 0
 * @param occlusionPatch occlusion window side, >= 1
 * @param occlusionStride occlusion stride, >= 1
 * @param shapPatch KernelSHAP patch side (28 / 4 = a 7x7 grid of 49 patches), >= 1
 * @param shapCoalitions KernelSHAP coalition budget, >= 2
 * @param seed seed of the random methods
 */
public record MethodSettings(int igSteps, IntegratedGradients.Rule igRule, OutputKind igOutput, GradCam.Weights gradCamWeights,
    int smoothGradSamples, double smoothGradNoise, int occlusionPatch, int occlusionStride, int shapPatch,
    int shapCoalitions, long seed) {

  /** @throws IllegalArgumentException naming the field and value */
  public MethodSettings {
    ExplainConfig.requireAtLeast("igSteps", igSteps, 1);
    if (igRule == null || igOutput == null || gradCamWeights == null) {
      throw new IllegalArgumentException("igRule, igOutput and gradCamWeights must be set");
    }
    ExplainConfig.requireAtLeast("smoothGradSamples", smoothGradSamples, 1);
    if (!(smoothGradNoise >= 0)) {
      throw new IllegalArgumentException("smoothGradNoise must be >= 0, got " + smoothGradNoise);
    }
    ExplainConfig.requireAtLeast("occlusionPatch", occlusionPatch, 1);
    ExplainConfig.requireAtLeast("occlusionStride", occlusionStride, 1);
    ExplainConfig.requireAtLeast("shapPatch", shapPatch, 1);
    ExplainConfig.requireAtLeast("shapCoalitions", shapCoalitions, 2);
  }

  /**
   * IG 32 midpoint steps on the class probability, Grad-CAM with the paper's gradient mean, SmoothGrad 16 x 0.15, occlusion
   * 4/4, KernelSHAP 4x4 patches and 512 coalitions, seed 0.
   */
  public static MethodSettings defaults() {
    return new MethodSettings(32, IntegratedGradients.Rule.MIDPOINT, OutputKind.PROBABILITY, GradCam.Weights.GRADIENT_MEAN,
        16, 0.15, 4, 4, 4, 512, 0);
  }

  public static MethodSettings from(ConfigSource s) {
    MethodSettings d = defaults();
    String noise = s.get("explain.smoothgrad.noise").orElse(null);
    return new MethodSettings(
        s.getInt("explain.ig.steps", d.igSteps()),
        parseEnum(IntegratedGradients.Rule.class, "explain.ig.rule", s.get("explain.ig.rule").orElse(null), d.igRule()),
        parseEnum(OutputKind.class, "explain.ig.output", s.get("explain.ig.output").orElse(null), d.igOutput()),
        parseEnum(GradCam.Weights.class, "explain.gradcam.weights", s.get("explain.gradcam.weights").orElse(null),
            d.gradCamWeights()),
        s.getInt("explain.smoothgrad.samples", d.smoothGradSamples()),
        noise == null || noise.isBlank() ? d.smoothGradNoise() : parse("explain.smoothgrad.noise", noise),
        s.getInt("explain.occlusion.patch", d.occlusionPatch()),
        s.getInt("explain.occlusion.stride", d.occlusionStride()),
        s.getInt("explain.shap.patch", d.shapPatch()),
        s.getInt("explain.shap.coalitions", d.shapCoalitions()),
        s.getLong("explain.seed", d.seed()));
  }

  /** {@code plus-plus} -> PLUS_PLUS; blank -> the default. */
  private static <E extends Enum<E>> E parseEnum(Class<E> type, String key, String v, E fallback) {
    if (v == null || v.isBlank()) {
      return fallback;
    }
    String name = v.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(name)) {
        return e;
      }
    }
    StringBuilder known = new StringBuilder();
    for (E e : type.getEnumConstants()) {
      known.append(known.length() == 0 ? "" : ", ").append(e.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
    }
    throw new IllegalArgumentException("config '" + key + "' must be one of " + known + ", got '" + v + "'");
  }

  private static double parse(String key, String v) {
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("config '" + key + "' must be a number, got '" + v + "'");
    }
  }

  /** The normalized black image (what "absent" means for occlusion, IG's baseline and SHAP's background). */
  public static float[] black(InputSpec input) {
    float[] raw = new float[input.size()];
    float[] out = new float[raw.length];
    input.normalize(raw, out, 0);
    return out;
  }

  /** KernelSHAP's patch grid for this input. */
  public PatchGrid shapGrid(InputSpec input) {
    return PatchGrid.ofPatchSize(ImageShape.of(input.shape()), shapPatch, shapPatch);
  }

  /**
   * One explainer for {@code method}.
   *
   * @param twin the differentiable fp32 network, or null when the version has none (imported ONNX)
   * @param served the served graph as a black box
   * @param background KernelSHAP's background rows (the service uses the black image alone: an
   *     absent patch is black, as for occlusion; cost is linear in the rows)
   * @throws UnsupportedOperationException if a gradient method is asked for without a twin
   */
  public Explainer explainer(Method method, InputSpec input, GradientModel twin, ScoreFunction served,
      float[][] background) {
    if (method.needsGradients() && twin == null) {
      throw new UnsupportedOperationException(method + " needs the fp32 network, which this version does not have");
    }
    return switch (method) {
      case GRADIENT -> new VanillaGradient(twin, new VanillaGradient.Params(OutputKind.PROBABILITY));
      case SMOOTHGRAD -> new SmoothGrad(twin,
          new SmoothGrad.Params(smoothGradSamples, smoothGradNoise, seed, OutputKind.PROBABILITY));
      case INTEGRATED_GRADIENTS -> new IntegratedGradients(twin,
          new IntegratedGradients.Params(igSteps, Baseline.black(input), igRule, igOutput));
      case GRAD_CAM -> new GradCam(twin, new GradCam.Params(OutputKind.LOGIT, true, gradCamWeights));
      case OCCLUSION -> new Occlusion(served, new Occlusion.Params(occlusionPatch, occlusionStride, black(input)[0]));
      case KERNEL_SHAP -> new KernelShap(served, background, new KernelShap.Params(shapGrid(input), shapCoalitions, seed));
    };
  }
}
