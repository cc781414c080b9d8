package dev.osprey.explain.saliency;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.Explainer;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.Method;
import dev.osprey.explain.Timings;
import dev.osprey.explain.model.ScoreFunction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Occlusion (Zeiler and Fergus 2014): slide a {@code patch x patch} window filled with
 * {@code fill} over the image with {@code stride} (all channels at once) and record the drop of
 * the class score, {@code f_c(x) - f_c(x with the window filled)}. A pixel's attribution is the
 * mean drop over the windows covering it; a last window flush with the border is added when the
 * stride does not reach it, so every pixel is covered. Needs only scores, so it runs on the
 * served graph; all occluded copies go to the model in one call (which batches them).
 */
public record Occlusion(ScoreFunction model, Params params) implements Explainer {

  /**
   * @param patch window side in pixels, >= 1
   * @param stride step in pixels, >= 1
   * @param fill value written into the window (normalized units; e.g. the normalized black)
   */
  public record Params(int patch, int stride, float fill) {
    public Params {
      if (patch < 1 || stride < 1) {
        throw new IllegalArgumentException("patch and stride must be >= 1, got " + patch + "/" + stride);
      }
    }

    public Map<String, String> asMap() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("patch", Integer.toString(patch));
      m.put("stride", Integer.toString(stride));
      m.put("fill", String.format(Locale.ROOT, "%.4f", fill));
      return m;
    }
  }

  @Override
  public Method method() {
    return Method.OCCLUSION;
  }

  @Override
  public Map<String, String> parameters() {
    return params.asMap();
  }

  @Override
  public AttributionMap explain(float[] input, int target) {
    Timings t = new Timings();
    ImageShape shape = model.inputShape();
    shape.check(input);
    int p = params.patch();
    List<Integer> ys = starts(shape.height(), Math.min(p, shape.height()), params.stride());
    List<Integer> xs = starts(shape.width(), Math.min(p, shape.width()), params.stride());
    int windows = ys.size() * xs.size();
    float[][] batch = new float[windows + 1][];
    batch[0] = input;
    int w = 1;
    for (int y0 : ys) {
      for (int x0 : xs) {
        float[] occluded = input.clone();
        forEachPixel(shape, y0, x0, p, i -> occluded[i] = params.fill());
        batch[w++] = occluded;
      }
    }
    float[] scores = t.model(() -> model.scores(batch, target));
    double[] sum = new double[shape.size()];
    int[] count = new int[shape.size()];
    w = 1;
    for (int y0 : ys) {
      for (int x0 : xs) {
        double drop = scores[0] - scores[w++];
        forEachPixel(shape, y0, x0, p, i -> {
          sum[i] += drop;
          count[i]++;
        });
      }
    }
    float[] values = new float[shape.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = count[i] == 0 ? 0f : (float) (sum[i] / count[i]);
    }
    return new AttributionMap(method(), parameters(), target, shape, values, model.runtime(),
        scores[0], null, null, null, t.toMillis());
  }

  /** Window starts 0, stride, ... plus one flush with the end if the last does not reach it. */
  static List<Integer> starts(int size, int patch, int stride) {
    List<Integer> s = new ArrayList<>();
    for (int v = 0; v + patch <= size; v += stride) {
      s.add(v);
    }
    if (s.get(s.size() - 1) + patch < size) {
      s.add(size - patch);
    }
    return s;
  }

  private static void forEachPixel(ImageShape shape, int y0, int x0, int patch, java.util.function.IntConsumer action) {
    int y1 = Math.min(shape.height(), y0 + patch);
    int x1 = Math.min(shape.width(), x0 + patch);
    for (int c = 0; c < shape.channels(); c++) {
      for (int y = y0; y < y1; y++) {
        for (int x = x0; x < x1; x++) {
          action.accept(c * shape.plane() + y * shape.width() + x);
        }
      }
    }
  }
}
