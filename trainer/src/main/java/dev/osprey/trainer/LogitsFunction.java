package dev.osprey.trainer;

/**
 * Anything that turns a batch of normalized inputs into logits: a DJL model, the ONNX runtime, a
 * quantized model. Evaluation and distillation work on this, so they do not care which engine runs.
 */
@FunctionalInterface
public interface LogitsFunction {
  /**
   * @param batch {@code count} normalized samples, one after another
   * @param count number of samples in {@code batch}
   * @return logits, one row of class scores per sample
   */
  float[][] logits(float[] batch, int count);
}
