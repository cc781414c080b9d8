package dev.osprey.trainer.loop;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.DType;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.model.InputSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One run's data: the recent labeled window split into a training part and a held-out part (by
 * {@link HoldoutSplit}, so neither the champion nor the candidate trained on the held-out part),
 * the training part mixed with a replay of the reference training set.
 *
 * <p>Deterministic: the split depends on sample ids only; which reference samples are replayed and
 * the order of the training set depend on the run id only ({@link StableHash} seeds the shuffle),
 * so a restarted run trains on exactly the same data.
 *
 * <p>Recent samples that do not fit the model (tabular features, a tensor of another dtype or
 * shape, a label outside the reference's classes) are left out and counted in
 * {@link #skipped()}. Early stopping must use a slice of the training part, never the held-out
 * part: selecting on the held-out part would bias the gate in the candidate's favour.
 */
public final class TrainingDataPlan {
  /** {@link #dataCounts()} key of the recent labels used for training. */
  public static final String RECENT_SOURCE = "osprey.labeled";

  private final InputSpec input;
  private final ImageDataset reference;
  private final List<LabeledSample> recentTrain;
  private final List<LabeledSample> heldOut;
  private final int[] replay;
  private final long seed;
  private final int skipped;

  private TrainingDataPlan(InputSpec input, ImageDataset reference, List<LabeledSample> recentTrain,
      List<LabeledSample> heldOut, int[] replay, long seed, int skipped) {
    this.input = input;
    this.reference = reference;
    this.recentTrain = recentTrain;
    this.heldOut = heldOut;
    this.replay = replay;
    this.seed = seed;
    this.skipped = skipped;
  }

  /**
   * Plans run {@code runId}'s data from the window's samples (oldest first).
   *
   * @param reference the reference training set to replay from
   * @throws IllegalArgumentException if the reference's images do not have the input's size
   */
  public static TrainingDataPlan of(List<LabeledSample> window, ImageDataset reference, InputSpec input,
      DataPlanConfig config, String runId) {
    if (reference.imageSize() != input.size()) {
      throw new IllegalArgumentException("reference " + reference.name() + " has images of " + reference.imageSize()
          + " values but the model takes " + input.size());
    }
    HoldoutSplit split = new HoldoutSplit(config.heldOutFraction());
    List<LabeledSample> train = new ArrayList<>();
    List<LabeledSample> held = new ArrayList<>();
    int skipped = 0;
    float[] scratch = new float[input.size()];
    for (LabeledSample s : window) {
      if (!fits(s, input, reference.classes(), scratch)) {
        skipped++;
      } else if (split.isHeldOut(s.sampleId())) {
        held.add(s);
      } else {
        train.add(s);
      }
    }
    long seed = StableHash.of("data-plan\n" + runId);
    int replayCount = (int) Math.min(reference.size(), Math.round(config.replayRatio() * train.size()));
    int[] replay = sampleWithoutReplacement(reference.size(), replayCount, new Random(seed));
    return new TrainingDataPlan(input, reference, List.copyOf(train), List.copyOf(held), replay, seed, skipped);
  }

  /** The model's own input check decides (dtype and shape), so the plan and the model never disagree. */
  private static boolean fits(LabeledSample s, InputSpec input, int classes, float[] scratch) {
    if (s.tensor() == null || s.label() >= classes) {
      return false;
    }
    try {
      input.normalize(s.tensor(), scratch, 0);
      return true;
    } catch (InvalidEventException e) {
      return false;
    }
  }

  /** Partial Fisher-Yates: {@code k} distinct indices of {@code [0, n)}. */
  private static int[] sampleWithoutReplacement(int n, int k, Random rng) {
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    for (int i = 0; i < k; i++) {
      int j = i + rng.nextInt(n - i);
      int tmp = all[i];
      all[i] = all[j];
      all[j] = tmp;
    }
    return Arrays.copyOf(all, k);
  }

  /** Recent labels in the training part, oldest first. */
  public List<LabeledSample> recentTrain() {
    return recentTrain;
  }

  /** Recent labels held out for the gate, oldest first. */
  public List<LabeledSample> heldOut() {
    return heldOut;
  }

  /** Indices of the replayed reference samples, in the order drawn. */
  public int[] replayIndices() {
    return replay.clone();
  }

  /** Recent samples left out because they do not fit the model. */
  public int skipped() {
    return skipped;
  }

  /** Training examples per source, for the manifest's lineage: recent labels and the reference. */
  public Map<String, Long> dataCounts() {
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put(RECENT_SOURCE, (long) recentTrain.size());
    counts.put(reference.name(), (long) replay.length);
    return counts;
  }

  /** The training set (recent training part + replay), normalized, in a shuffled order fixed by the run id. */
  public LabeledArrays trainArrays() {
    int[] order = trainOrder();
    int n = input.size();
    float[] x = new float[order.length * n];
    int[] y = new int[order.length];
    List<String> ids = new ArrayList<>(order.length);
    float[] raw = new float[n];
    for (int k = 0; k < order.length; k++) {
      int e = order[k];
      if (e < recentTrain.size()) {
        LabeledSample s = recentTrain.get(e);
        normalize(s, x, k * n);
        y[k] = s.label();
        ids.add(s.sampleId());
      } else {
        int r = replay[e - recentTrain.size()];
        byte[] pixels = reference.pixels();
        for (int i = 0; i < n; i++) {
          raw[i] = pixels[r * n + i] & 0xFF;
        }
        input.normalize(raw, x, k * n);
        y[k] = reference.label(r);
        ids.add(reference.name() + "#" + r);
      }
    }
    return new LabeledArrays(x, y, n, ids);
  }

  /** The held-out part, normalized, oldest first. */
  public LabeledArrays heldOutArrays() {
    int n = input.size();
    float[] x = new float[heldOut.size() * n];
    int[] y = new int[heldOut.size()];
    List<String> ids = new ArrayList<>(heldOut.size());
    for (int k = 0; k < heldOut.size(); k++) {
      LabeledSample s = heldOut.get(k);
      normalize(s, x, k * n);
      y[k] = s.label();
      ids.add(s.sampleId());
    }
    return new LabeledArrays(x, y, n, ids);
  }

  /**
   * The training set as raw greyscale images in the same shuffled order as {@link #trainArrays()},
   * for recipes that take an {@link ImageDataset} (they normalize and augment themselves).
   *
   * @throws IllegalStateException if the model does not take uint8 pixels
   */
  public ImageDataset trainImages(String name) {
    if (input.dtype() != DType.UINT8) {
      throw new IllegalStateException("the model takes " + input.dtype().wireName() + ", not uint8 images");
    }
    int[] order = trainOrder();
    int n = input.size();
    byte[] pixels = new byte[order.length * n];
    int[] labels = new int[order.length];
    for (int k = 0; k < order.length; k++) {
      int e = order[k];
      if (e < recentTrain.size()) {
        LabeledSample s = recentTrain.get(e);
        System.arraycopy(s.tensor().data(), 0, pixels, k * n, n);
        labels[k] = s.label();
      } else {
        int r = replay[e - recentTrain.size()];
        System.arraycopy(reference.pixels(), r * n, pixels, k * n, n);
        labels[k] = reference.label(r);
      }
    }
    return new ImageDataset(name, reference.rows(), reference.cols(), pixels, labels, reference.classes());
  }

  /** Entries 0..recent-1 are recent samples, the rest replayed ones; shuffled with the run's seed. */
  private int[] trainOrder() {
    int total = recentTrain.size() + replay.length;
    int[] order = new int[total];
    for (int i = 0; i < total; i++) {
      order[i] = i;
    }
    Random rng = new Random(seed ^ 0x5DEECE66DL);
    for (int i = total - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    return order;
  }

  private void normalize(LabeledSample s, float[] out, int offset) {
    try {
      input.normalize(s.tensor(), out, offset);
    } catch (InvalidEventException e) {
      // fits() admitted only tensors of the model's dtype and size
      throw new IllegalStateException("sample " + s.sampleId() + " passed the plan's checks but not the model's", e);
    }
  }
}
