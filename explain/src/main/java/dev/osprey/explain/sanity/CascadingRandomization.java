package dev.osprey.explain.sanity;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.osprey.explain.model.DjlNetwork;
import dev.osprey.model.net.LayerSpec;
import dev.osprey.model.net.NetworkSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Adebayo et al.'s cascading randomization on a copy of a network: from the logits down, each
 * step re-draws the weights and biases of one more learned layer (a conv or dense layer together
 * with the batch norm right after it: gamma and beta; running statistics are kept so activations
 * stay in range). New values are Gaussian with the mean and standard deviation of the trained
 * array, so the scale is kept and only what was learned is destroyed.
 */
public final class CascadingRandomization {

  /** One step: the layers it randomizes, named like "head/dense", "features/conv#4". */
  public record Step(String name, List<Block> blocks) {}

  private final List<Step> steps;
  private final Random rnd;
  private int done;

  /** @param copy the network to randomize in place (a {@link DjlNetwork#copy()}, never the served one) */
  public CascadingRandomization(DjlNetwork copy, long seed) {
    this.steps = steps(copy.spec(), copy.block());
    this.rnd = new Random(seed);
  }

  public List<Step> steps() {
    return steps;
  }

  /** Whether another step remains. */
  public boolean hasNext() {
    return done < steps.size();
  }

  /**
   * Randomizes the next layer and returns its step.
   *
   * @throws IllegalStateException if every layer is already randomized
   */
  public Step randomizeNext() {
    if (!hasNext()) {
      throw new IllegalStateException("every layer is already randomized");
    }
    Step s = steps.get(done++);
    for (Block b : s.blocks()) {
      for (Parameter p : b.getDirectParameters().values()) {
        if (p.getType() == Parameter.Type.RUNNING_MEAN || p.getType() == Parameter.Type.RUNNING_VAR) {
          continue;
        }
        NDArray a = p.getArray();
        float[] v = a.toFloatArray();
        double mean = 0;
        for (float f : v) {
          mean += f;
        }
        mean /= v.length;
        double var = 0;
        for (float f : v) {
          var += (f - mean) * (f - mean);
        }
        double std = Math.sqrt(var / v.length);
        float[] fresh = new float[v.length];
        for (int i = 0; i < v.length; i++) {
          fresh[i] = (float) (mean + std * rnd.nextGaussian());
        }
        a.set(fresh);
      }
    }
    return s;
  }

  /** Learned layers of the spec in reverse order (head first). */
  static List<Step> steps(NetworkSpec spec, Block net) {
    List<Step> forward = new ArrayList<>();
    String[] stageNames = {"features", "embedding", "head"};
    List<List<LayerSpec>> stages = spec.stages();
    for (int s = 0; s < stages.size(); s++) {
      List<Block> blocks = net.getChildren().values().get(s).getChildren().values();
      List<LayerSpec> layers = stages.get(s);
      for (int i = 0; i < layers.size(); i++) {
        LayerSpec l = layers.get(i);
        if (l instanceof LayerSpec.Conv || l instanceof LayerSpec.Dense) {
          List<Block> group = new ArrayList<>(List.of(blocks.get(i)));
          if (i + 1 < layers.size() && layers.get(i + 1) instanceof LayerSpec.BatchNormalization) {
            group.add(blocks.get(i + 1));
          }
          String kind = l instanceof LayerSpec.Conv ? "conv" : "dense";
          forward.add(new Step(stageNames[s] + "/" + kind + "#" + i, List.copyOf(group)));
        }
      }
    }
    List<Step> reversed = new ArrayList<>(forward);
    java.util.Collections.reverse(reversed);
    return List.copyOf(reversed);
  }
}
