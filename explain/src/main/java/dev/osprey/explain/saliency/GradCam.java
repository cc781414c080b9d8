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
 * localization: it says where, not which pixels.
 */
public record GradCam(GradientModel model, Params params) implements Explainer {

  /**
   * @param output which output is differentiated (the paper: the pre-softmax score)
   * @param relu keep only positive evidence (the paper's ReLU); off shows negative regions too
   */
  public record Params(OutputKind output, boolean relu) {
    public static Params defaults() {
      return new Params(OutputKind.LOGIT, true);
    }

    public Map<String, String> asMap() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("output", output.name().toLowerCase(Locale.ROOT));
      m.put("relu", Boolean.toString(relu));
      m.put("layer", "last-conv");
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
      double alpha = 0;
      for (int p = 0; p < plane; p++) {
        alpha += g[k * plane + p];
      }
      alpha /= plane;
      for (int p = 0; p < plane; p++) {
        cam[p] += alpha * a[k * plane + p];
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
}
