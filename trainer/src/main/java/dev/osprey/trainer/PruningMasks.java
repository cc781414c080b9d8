package dev.osprey.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.osprey.model.net.LayerSpec;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.runtime.DjlNetwork;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * L1 magnitude pruning masks for the backbone (features + embedding; the head is kept dense):
 * conv layers lose whole filters with the smallest L1 norm, dense layers lose the individual
 * weights with the smallest |w|. The masks are applied after every optimizer step so pruned
 * weights stay zero while the rest fine-tunes.
 */
public final class PruningMasks {
  private final Map<Parameter, NDArray> masks;

  private PruningMasks(Map<Parameter, NDArray> masks) {
    this.masks = masks;
  }

  /** No pruning. */
  public static PruningMasks none() {
    return new PruningMasks(Map.of());
  }

  /**
   * Masks removing {@code sparsity} of each prunable weight tensor (rounded to whole filters for
   * conv layers), already applied to the weights.
   *
   * @throws IllegalArgumentException if sparsity is outside [0, 1)
   */
  public static PruningMasks magnitude(DjlNetwork net, float sparsity) {
    if (sparsity < 0 || sparsity >= 1) {
      throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
    }
    NDManager manager = net.manager();
    Map<Parameter, NDArray> masks = new LinkedHashMap<>();
    NetworkSpec spec = net.spec();
    for (int stage : new int[] {NetworkSpec.FEATURES, NetworkSpec.EMBEDDING}) {
      List<LayerSpec> layers = spec.stages().get(stage);
      List<Block> blocks = new ArrayList<>();
      net.block().getChildren().get(stage).getValue().getChildren().values().forEach(blocks::add);
      for (int i = 0; i < layers.size(); i++) {
        LayerSpec layer = layers.get(i);
        if (!(layer instanceof LayerSpec.Conv) && !(layer instanceof LayerSpec.Dense)) {
          continue;
        }
        Parameter weight = blocks.get(i).getParameters().get("weight");
        float[] w = weight.getArray().toFloatArray();
        float[] mask = layer instanceof LayerSpec.Conv
            ? filterMask(w, (int) weight.getShape().get(0), sparsity)
            : weightMask(w, sparsity);
        NDArray m = manager.create(mask, weight.getShape());
        masks.put(weight, m);
      }
    }
    PruningMasks result = new PruningMasks(masks);
    result.apply();
    return result;
  }

  /** Zeroes the pruned weights (after each optimizer step). */
  public void apply() {
    masks.forEach((p, m) -> p.getArray().muli(m));
  }

  public boolean isEmpty() {
    return masks.isEmpty();
  }

  /** Fraction of zero weights over the masked tensors, measured on the current weights. */
  public double achievedSparsity() {
    long zeros = 0;
    long total = 0;
    for (Parameter p : masks.keySet()) {
      for (float v : p.getArray().toFloatArray()) {
        if (v == 0f) {
          zeros++;
        }
        total++;
      }
    }
    return total == 0 ? 0 : (double) zeros / total;
  }

  /** Number of weights under a mask. */
  public long prunableWeights() {
    return masks.keySet().stream().mapToLong(p -> p.getShape().size()).sum();
  }

  static float[] filterMask(float[] w, int filters, float sparsity) {
    int per = w.length / filters;
    double[] norms = new double[filters];
    for (int f = 0; f < filters; f++) {
      for (int j = 0; j < per; j++) {
        norms[f] += Math.abs(w[f * per + j]);
      }
    }
    int prune = Math.round(sparsity * filters);
    Integer[] order = new Integer[filters];
    for (int f = 0; f < filters; f++) {
      order[f] = f;
    }
    Arrays.sort(order, (a, b) -> Double.compare(norms[a], norms[b]));
    float[] mask = new float[w.length];
    Arrays.fill(mask, 1f);
    for (int r = 0; r < prune; r++) {
      Arrays.fill(mask, order[r] * per, (order[r] + 1) * per, 0f);
    }
    return mask;
  }

  static float[] weightMask(float[] w, float sparsity) {
    int prune = Math.round(sparsity * w.length);
    float[] mask = new float[w.length];
    Arrays.fill(mask, 1f);
    if (prune == 0) {
      return mask;
    }
    float[] abs = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      abs[i] = Math.abs(w[i]);
    }
    float[] sorted = abs.clone();
    Arrays.sort(sorted);
    float threshold = sorted[prune - 1];
    int zeroed = 0;
    for (int i = 0; i < w.length; i++) {
      if (abs[i] < threshold) {
        mask[i] = 0f;
        zeroed++;
      }
    }
    for (int i = 0; i < w.length && zeroed < prune; i++) {
      if (abs[i] == threshold) {
        mask[i] = 0f;
        zeroed++;
      }
    }
    return mask;
  }
}
