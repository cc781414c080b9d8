package dev.osprey.explain.shap;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.Explainer;
import dev.osprey.explain.Method;
import dev.osprey.explain.model.ScoreFunction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * KernelSHAP (Lundberg and Lee 2017) over a grid of patches, with a background set standing in
 * for "patch absent" (see {@link PatchGame}).
 *
 * <p>Coalitions are chosen as the {@code shap} package's KernelExplainer does: coalition sizes
 * are visited from the outside in (1 and M-1, then 2 and M-2, ...); a size pair whose expected
 * share of the budget under the Shapley kernel covers all its coalitions is enumerated with its
 * exact kernel weight; the remaining budget samples the remaining sizes from the kernel's size
 * distribution, each drawn coalition paired with its complement (paired sampling), duplicates
 * adding weight instead of rows, and the sampled weights scaled to the kernel mass left. With a
 * budget of at least {@code 2^M - 2} every coalition is enumerated and the result is the exact
 * Shapley value.
 *
 * <p>The values then solve the Shapley-kernel weighted least squares
 * {@code min sum_z w(z) (v(z) - v(0) - z.phi)^2} under the efficiency constraint
 * {@code sum phi = f(x) - E[f]}, enforced exactly by eliminating the last patch's value
 * ({@code phi_M = (f(x) - E[f]) - sum_{j<M} phi_j}) before solving the normal equations.
 */
public final class KernelShap implements Explainer {

  /**
   * @param grid the patches (players), at most 63
   * @param coalitions budget of coalitions evaluated besides the empty and full ones, >= 2
   * @param seed sampling seed
   */
  public record Params(PatchGrid grid, int coalitions, long seed) {
    public Params {
      if (grid.size() < 2 || grid.size() > 63) {
        throw new IllegalArgumentException("KernelSHAP needs 2..63 patches, got " + grid.size());
      }
      if (coalitions < 2) {
        throw new IllegalArgumentException("coalitions must be >= 2, got " + coalitions);
      }
    }

    public Map<String, String> asMap() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("grid", grid.toString());
      m.put("features", Integer.toString(grid.size()));
      m.put("coalitions", Integer.toString(coalitions));
      m.put("seed", Long.toString(seed));
      return m;
    }
  }

  /** Coalitions with their regression weights. */
  record Design(long[] masks, double[] weights) {}

  private final ScoreFunction model;
  private final float[][] background;
  private final Params params;

  /**
   * @param background reference samples standing in for absent patches (a handful of real
   *     inputs, e.g. from the model's reference data; cost grows linearly with their number)
   */
  public KernelShap(ScoreFunction model, float[][] background, Params params) {
    if (background.length == 0) {
      throw new IllegalArgumentException("the background set is empty");
    }
    this.model = model;
    this.background = background.clone();
    this.params = params;
  }

  @Override
  public Method method() {
    return Method.KERNEL_SHAP;
  }

  @Override
  public Map<String, String> parameters() {
    Map<String, String> m = new LinkedHashMap<>(params.asMap());
    m.put("background", Integer.toString(background.length));
    return m;
  }

  @Override
  public AttributionMap explain(float[] input, int target) {
    long start = System.nanoTime();
    PatchGame game = new PatchGame(model, input, background, params.grid(), target);
    double fx = game.fullValue();
    double ef = game.emptyValue();
    int budget = game.players() >= 31 ? params.coalitions()
        : (int) Math.min(params.coalitions(), (1L << game.players()) - 2);
    Design design = design(game.players(), budget, new Random(params.seed()));
    double[] values = game.values(design.masks());
    double[] phi = solve(game.players(), design, values, ef, fx - ef);
    double sum = 0;
    float[] features = new float[phi.length];
    for (int i = 0; i < phi.length; i++) {
      sum += phi[i];
      features[i] = (float) phi[i];
    }
    Map<String, Double> timings = new LinkedHashMap<>();
    timings.put("model", game.modelNanos() / 1e6);
    timings.put("total", (System.nanoTime() - start) / 1e6);
    return new AttributionMap(method(), parameters(), target, model.inputShape(), params.grid().toPixels(phi),
        model.runtime(), fx, ef, Math.abs(sum - (fx - ef)), features, timings);
  }

  /** The coalitions and kernel weights for {@code m} players and a budget, as shap chooses them. */
  static Design design(int m, int budget, Random rnd) {
    List<Long> masks = new ArrayList<>();
    List<Double> weights = new ArrayList<>();
    int sizes = (m - 1 + 1) / 2; // ceil((M-1)/2): sizes 1..sizes, each standing for itself and M-size
    int pairedSizes = (m - 1) / 2; // sizes s with s != M - s
    double[] kernel = new double[sizes];
    double total = 0;
    for (int s = 1; s <= sizes; s++) {
      kernel[s - 1] = (m - 1.0) / (s * (double) (m - s)) * (s <= pairedSizes ? 2 : 1);
      total += kernel[s - 1];
    }
    for (int i = 0; i < sizes; i++) {
      kernel[i] /= total;
    }
    // 1. enumerate the sizes whose share of the budget covers them
    double[] remaining = kernel.clone();
    int left = budget;
    int fullSizes = 0;
    for (int s = 1; s <= sizes; s++) {
      double subsets = ExactShapley.binomial(m, s) * (s <= pairedSizes ? 2 : 1);
      if (left * remaining[s - 1] / subsets < 1.0 - 1e-8) {
        break;
      }
      fullSizes++;
      left -= (int) subsets;
      if (remaining[s - 1] < 1.0) {
        double scale = 1 - remaining[s - 1];
        for (int i = 0; i < sizes; i++) {
          remaining[i] /= scale;
        }
      }
      double w = kernel[s - 1] / ExactShapley.binomial(m, s) / (s <= pairedSizes ? 2 : 1);
      for (long mask : combinations(m, s)) {
        masks.add(mask);
        weights.add(w);
        if (s <= pairedSizes) {
          masks.add(complement(mask, m));
          weights.add(w);
        }
      }
    }
    // 2. sample the remaining sizes
    int fixed = masks.size();
    if (fullSizes < sizes && left > 0) {
      double[] p = new double[sizes - fullSizes];
      double pSum = 0;
      for (int i = fullSizes; i < sizes; i++) {
        p[i - fullSizes] = kernel[i] / (i + 1 <= pairedSizes ? 2 : 1); // two rows per paired draw
        pSum += p[i - fullSizes];
      }
      Map<Long, Integer> seen = new HashMap<>();
      for (int draw = 0; left > 0 && draw < 4 * budget; draw++) {
        int s = fullSizes + 1 + pick(p, pSum, rnd);
        long mask = randomSubset(m, s, rnd);
        Integer at = seen.get(mask);
        if (at == null) {
          seen.put(mask, masks.size());
          masks.add(mask);
          weights.add(1.0);
          left--;
        } else {
          weights.set(at, weights.get(at) + 1);
        }
        if (left > 0 && s <= pairedSizes) {
          if (at == null) {
            masks.add(complement(mask, m));
            weights.add(1.0);
            left--;
          } else {
            weights.set(at + 1, weights.get(at + 1) + 1);
          }
        }
      }
      double weightLeft = 0;
      for (int i = fullSizes; i < sizes; i++) {
        weightLeft += kernel[i];
      }
      double sampled = 0;
      for (int i = fixed; i < weights.size(); i++) {
        sampled += weights.get(i);
      }
      for (int i = fixed; i < weights.size(); i++) {
        weights.set(i, weights.get(i) * weightLeft / sampled);
      }
    }
    return new Design(masks.stream().mapToLong(Long::longValue).toArray(),
        weights.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /**
   * Constrained weighted least squares: eliminate phi_M with the efficiency constraint, solve the
   * normal equations for the other M - 1 values, recover phi_M.
   */
  static double[] solve(int m, Design design, double[] values, double emptyValue, double delta) {
    int k = m - 1;
    double[][] a = new double[k][k];
    double[] b = new double[k];
    double[] row = new double[k];
    long[] masks = design.masks();
    for (int r = 0; r < masks.length; r++) {
      long z = masks[r];
      double last = (z >>> (m - 1)) & 1L;
      double y = values[r] - emptyValue - last * delta;
      double w = design.weights()[r];
      for (int j = 0; j < k; j++) {
        row[j] = ((z >>> j) & 1L) - last;
      }
      for (int i = 0; i < k; i++) {
        if (row[i] == 0) {
          continue;
        }
        double wi = w * row[i];
        b[i] += wi * y;
        for (int j = 0; j <= i; j++) {
          a[i][j] += wi * row[j];
        }
      }
    }
    for (int i = 0; i < k; i++) {
      for (int j = i + 1; j < k; j++) {
        a[i][j] = a[j][i];
      }
    }
    double[] head = Cholesky.solve(a, b);
    double[] phi = new double[m];
    double sum = 0;
    for (int j = 0; j < k; j++) {
      phi[j] = head[j];
      sum += head[j];
    }
    phi[m - 1] = delta - sum;
    return phi;
  }

  private static int pick(double[] p, double total, Random rnd) {
    double u = rnd.nextDouble() * total;
    for (int i = 0; i < p.length; i++) {
      u -= p[i];
      if (u < 0) {
        return i;
      }
    }
    return p.length - 1;
  }

  /** A uniformly random subset of {@code size} of {@code m} players (partial Fisher-Yates). */
  private static long randomSubset(int m, int size, Random rnd) {
    int[] idx = new int[m];
    for (int i = 0; i < m; i++) {
      idx[i] = i;
    }
    long mask = 0;
    for (int i = 0; i < size; i++) {
      int j = i + rnd.nextInt(m - i);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
      mask |= 1L << idx[i];
    }
    return mask;
  }

  private static long complement(long mask, int m) {
    long full = m == 63 ? Long.MAX_VALUE : (1L << m) - 1;
    return ~mask & full;
  }

  /** All masks with exactly {@code s} of {@code m} bits set, in lexicographic order of the bits. */
  static List<Long> combinations(int m, int s) {
    List<Long> out = new ArrayList<>();
    int[] c = new int[s];
    for (int i = 0; i < s; i++) {
      c[i] = i;
    }
    while (true) {
      long mask = 0;
      for (int i : c) {
        mask |= 1L << i;
      }
      out.add(mask);
      int i = s - 1;
      while (i >= 0 && c[i] == m - s + i) {
        i--;
      }
      if (i < 0) {
        return out;
      }
      c[i]++;
      for (int j = i + 1; j < s; j++) {
        c[j] = c[j - 1] + 1;
      }
    }
  }
}
