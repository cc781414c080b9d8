package dev.osprey.explain.saliency;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.Explainer;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.Method;
import dev.osprey.explain.Timings;
import dev.osprey.explain.model.FeatureMapGradients;
import dev.osprey.explain.model.GradientModel;
import dev.osprey.explain.model.OutputKind;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Grad-CAM (Selvaraju et al. 2017) on the model's last convolutional layer:
 * {@code alpha_k = mean_ij d y^c / d A^k_ij}, {@code map = ReLU(sum_k alpha_k A^k)}, resized
 * bilinearly to the input and repeated over its channels. A coarse, class-discriminative
 * localization: it says where, not which pixels. {@link Weights#PLUS_PLUS} weighs the channels as
 * Grad-CAM++ does instead.
 */
public record GradCam(GradientModel model, Params params) implements Explainer {

  /** How the channels of the feature map are weighted. */
  public enum Weights {
    /** Selvaraju et al.: the spatial mean of the gradient, {@code alpha_k = mean_ij d y^c / d A^k_ij}. */
    GRADIENT_MEAN,
    /**
     * Grad-CAM++ (Chattopadhay et al. 2018): {@code w_k = sum_ij a^k_ij ReLU(g^k_ij)} with
     * {@code a^k_ij = g^2 / (2 g^2 + sum_ab A^k_ab g^3)}, {@code g = d y^c / d A^k_ij} (their closed
     * form for an exponential of the score, using first-order gradients only). Only positive
     * gradients count, each position weighted, so a channel that is strong where the class
     * evidence is and weakly negative elsewhere is no longer cancelled by its own average.
     */
    PLUS_PLUS,
    /**
     * XGrad-CAM (Fu et al. 2020): {@code alpha_k = sum_ij (A^k_ij / sum_ab A^k_ab) g^k_ij}, the
     * gradient averaged with the activations as weights instead of uniformly.
     */
    XGRAD,
    /**
     * HiResCAM (Draelos and Carin 2020): no channel weight at all, {@code map = ReLU(sum_k g^k * A^k)}
     * element by element. For a model whose layers after the feature maps are linear it is exactly
     * the class score's decomposition over positions; the spatial mean of Grad-CAM can put mass
     * where the model did not look.
     */
    HI_RES
  }

  /**
   * @param output which output is differentiated (the paper: the pre-softmax score)
   * @param relu keep only positive evidence (the paper's ReLU); off shows negative regions too
   * @param weights channel weighting: Grad-CAM's gradient mean (default) or Grad-CAM++
   */
  public record Params(OutputKind output, boolean relu, Weights weights) {
    public Params {
      if (output == null || weights == null) {
        throw new IllegalArgumentException("output and weights must be set");
      }
    }

    /** Grad-CAM as in the paper: class logit, ReLU, gradient mean. */
    public static Params defaults() {
      return new Params(OutputKind.LOGIT, true, Weights.GRADIENT_MEAN);
    }

    /** Grad-CAM++: class logit, ReLU, positive gradients weighted per position. */
    public static Params plusPlus() {
      return new Params(OutputKind.LOGIT, true, Weights.PLUS_PLUS);
    }

    public Map<String, String> asMap() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("output", output.name().toLowerCase(Locale.ROOT));
      m.put("relu", Boolean.toString(relu));
      m.put("layer", "last-conv");
      if (weights != Weights.GRADIENT_MEAN) {
        m.put("weights", weights.name().toLowerCase(Locale.ROOT).replace('_', '-'));
      }
      return m;
    }
  }

  @Override
  public Method method() {
    return Method.GRAD_CAM;
  }

  @Override
  public Map<String, String> parameters() {
    return params.asMap();
  }

  @Override
  public AttributionMap explain(float[] input, int target) {
    Timings t = new Timings();
    FeatureMapGradients f = t.model(() -> model.featureMapGradients(new float[][] {input}, new int[] {target}, params.output()));
    int plane = f.height() * f.width();
    float[] a = f.activations()[0];
    float[] g = f.gradients()[0];
    double[] cam = new double[plane];
    for (int k = 0; k < f.channels(); k++) {
      int from = k * plane;
      if (params.weights() == Weights.HI_RES) {
        for (int p = 0; p < plane; p++) {
          cam[p] += (double) g[from + p] * a[from + p];
        }
        continue;
      }
      double alpha = switch (params.weights()) {
        case PLUS_PLUS -> plusPlusWeight(a, g, from, plane);
        case XGRAD -> activationWeightedGradient(a, g, from, plane);
        default -> gradientMean(g, from, plane);
      };
      for (int p = 0; p < plane; p++) {
        cam[p] += alpha * a[from + p];
      }
    }
    float[] small = new float[plane];
    for (int p = 0; p < plane; p++) {
      small[p] = (float) (params.relu() ? Math.max(0, cam[p]) : cam[p]);
    }
    ImageShape shape = model.inputShape();
    float[] up = BilinearUpsampling.resize(small, f.height(), f.width(), shape.height(), shape.width());
    float[] values = new float[shape.size()];
    for (int c = 0; c < shape.channels(); c++) {
      System.arraycopy(up, 0, values, c * shape.plane(), shape.plane());
    }
    return new AttributionMap(method(), parameters(), target, shape, values, model.runtime(),
        f.outputs()[0][target], null, null, null, t.toMillis());
  }

  /** Grad-CAM's weight of the channel at {@code from}: the spatial mean of its gradient. */
  static double gradientMean(float[] gradients, int from, int plane) {
    double sum = 0;
    for (int p = 0; p < plane; p++) {
      sum += gradients[from + p];
    }
    return sum / plane;
  }

  /** XGrad-CAM's weight of the channel at {@code from} (see {@link Weights#XGRAD}); 0 for a channel that never fires. */
  static double activationWeightedGradient(float[] activations, float[] gradients, int from, int plane) {
    double sumA = 0;
    double sumAg = 0;
    for (int p = 0; p < plane; p++) {
      sumA += activations[from + p];
      sumAg += (double) activations[from + p] * gradients[from + p];
    }
    return sumA == 0 ? 0 : sumAg / sumA;
  }

  /** Grad-CAM++'s weight of the channel at {@code from} (see {@link Weights#PLUS_PLUS}). */
  static double plusPlusWeight(float[] activations, float[] gradients, int from, int plane) {
    double sumA = 0;
    for (int p = 0; p < plane; p++) {
      sumA += activations[from + p];
    }
    double w = 0;
    for (int p = 0; p < plane; p++) {
      double g = gradients[from + p];
      double g2 = g * g;
      double denominator = 2 * g2 + sumA * g2 * g;
      if (g > 0 && denominator != 0) {
        w += g2 / denominator * g;
      }
    }
    return w;
  }
}
