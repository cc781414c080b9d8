package dev.osprey.model.runtime;

/**
 * The outputs of one batch, row-major.
 *
 * @param batchSize rows
 * @param classes logits per row
 * @param logits batchSize * classes
 * @param embeddingSize embedding width, 0 when the model has no embedding output
 * @param embedding batchSize * embeddingSize (empty when absent)
 */
public record Predictions(int batchSize, int classes, float[] logits, int embeddingSize, float[] embedding) {
  public Predictions {
    if (logits.length != batchSize * classes) {
      throw new IllegalArgumentException("logits length " + logits.length + " != " + batchSize + " x " + classes);
    }
    if (embedding.length != batchSize * embeddingSize) {
      throw new IllegalArgumentException("embedding length " + embedding.length + " != " + batchSize + " x " + embeddingSize);
    }
  }

  /** The same logits without the embedding. */
  public Predictions withoutEmbedding() {
    return embeddingSize == 0 ? this : new Predictions(batchSize, classes, logits, 0, new float[0]);
  }

  /** Logits of row {@code i} (a copy). */
  public float[] logits(int i) {
    return java.util.Arrays.copyOfRange(logits, i * classes, (i + 1) * classes);
  }

  /** Embedding of row {@code i} (a copy). */
  public float[] embedding(int i) {
    return java.util.Arrays.copyOfRange(embedding, i * embeddingSize, (i + 1) * embeddingSize);
  }

  /** Index of the largest logit of row {@code i}. */
  public int argmax(int i) {
    return dev.osprey.model.Softmax.argmax(logits, i * classes, classes);
  }
}
