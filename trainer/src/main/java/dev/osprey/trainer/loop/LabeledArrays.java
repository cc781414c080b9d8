package dev.osprey.trainer.loop;

import java.util.List;

/**
 * Samples as the recipes consume them: normalized inputs back to back and their labels.
 *
 * @param inputs {@code count * inputSize} normalized floats, sample after sample
 * @param labels class index per sample
 * @param inputSize floats per sample
 * @param ids per sample: the sample id of a recent label, {@code <dataset>#<index>} of a replayed one
 */
public record LabeledArrays(float[] inputs, int[] labels, int inputSize, List<String> ids) {

  public LabeledArrays {
    ids = List.copyOf(ids);
    if (inputs.length != (long) labels.length * inputSize || ids.size() != labels.length) {
      throw new IllegalArgumentException(inputs.length + " floats, " + labels.length + " labels and "
          + ids.size() + " ids do not describe samples of " + inputSize + " floats");
    }
  }

  public int count() {
    return labels.length;
  }
}
