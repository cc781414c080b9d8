package dev.osprey.inference;

import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.model.Softmax;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.PredictorException;
import dev.osprey.model.runtime.RuntimeKind;
import dev.osprey.model.serving.LoadedModel;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs normalized rows through one model in calls of at most {@code maxBatchSize} rows and turns
 * the logits into {@link Prediction}s. A call the engine fails on is retried row by row, so one
 * row the engine cannot take fails alone (its slot holds the error) and the rest are predicted.
 * Times the model calls and the post-processing (softmax, label, prediction records) separately.
 * Stateless apart from its settings; used by the prediction loop thread only.
 */
final class BatchScorer {
  private static final Logger LOG = LoggerFactory.getLogger(BatchScorer.class);

  /** A prediction, or why the engine failed on that row. */
  record Scored(Prediction prediction, String error) {}

  private final int maxBatchSize;
  private final boolean emitEmbedding;
  private final InferenceMetrics metrics;
  private final Clock clock;

  BatchScorer(int maxBatchSize, boolean emitEmbedding, InferenceMetrics metrics, Clock clock) {
    this.maxBatchSize = maxBatchSize;
    this.emitEmbedding = emitEmbedding;
    this.metrics = metrics;
    this.clock = clock;
  }

  /**
   * @param x at least {@code samples.size()} normalized rows, row-major (a reused buffer may be longer)
   * @return one result per sample, in order
   */
  List<Scored> score(LoadedModel model, float[] x, List<Sample> samples) {
    return score(model, x, 0, samples);
  }

  /**
   * @param x holds the samples' normalized rows from row {@code firstRow} on, row-major
   * @return one result per sample, in order
   */
  List<Scored> score(LoadedModel model, float[] x, int firstRow, List<Sample> samples) {
    int n = model.manifest().input().size();
    List<Scored> out = new ArrayList<>(samples.size());
    for (int from = 0; from < samples.size(); from += maxBatchSize) {
      int rows = Math.min(maxBatchSize, samples.size() - from);
      try {
        Predictions p = run(model, x, firstRow + from, rows); // read in place, no copy of the chunk
        long post = System.nanoTime();
        for (int i = 0; i < rows; i++) {
          out.add(new Scored(prediction(model, p, i, samples.get(from + i)), null));
        }
        metrics.postprocess(System.nanoTime() - post);
      } catch (PredictorException | RuntimeException e) {
        LOG.warn("model {} failed on a batch of {}; retrying its rows one by one: {}", model.ref(), rows, e.toString());
        for (int i = 0; i < rows; i++) {
          int row = firstRow + from + i;
          out.add(scoreAlone(model, Arrays.copyOfRange(x, row * n, (row + 1) * n), samples.get(from + i)));
        }
      }
    }
    return out;
  }

  private Scored scoreAlone(LoadedModel model, float[] row, Sample sample) {
    try {
      return new Scored(prediction(model, run(model, row, 0, 1), 0, sample), null);
    } catch (PredictorException | RuntimeException e) {
      return new Scored(null, "model " + model.ref() + " failed on this sample: " + e.getMessage());
    }
  }

  private Predictions run(LoadedModel model, float[] x, int fromRow, int rows) throws PredictorException {
    // CPU time only where the model runs on this thread's CPU: a GPU call waits for the device
    boolean onCpu = model.runtime() != RuntimeKind.ONNX_TENSORRT;
    long start = System.nanoTime();
    long cpu = onCpu ? metrics.threadCpuNanos() : -1;
    Predictions p = model.predictor().predict(x, fromRow, rows, emitEmbedding); // no embedding copied out unless emitted
    long cpuAfter = cpu < 0 ? -1 : metrics.threadCpuNanos();
    metrics.modelCall(model.ref().version(), rows, System.nanoTime() - start, cpu < 0 ? -1 : cpuAfter - cpu);
    return p;
  }

  private Prediction prediction(LoadedModel model, Predictions p, int row, Sample sample) {
    ModelManifest m = model.manifest();
    float[] probabilities = Softmax.of(p.logits(row));
    int label = Softmax.argmax(probabilities);
    List<Float> embedding = p.embeddingSize() > 0 ? boxed(p.embedding(row)) : null;
    metrics.prediction(m.version(), m.labels().get(label), probabilities[label]);
    return new Prediction(Prediction.SCHEMA_VERSION, sample.id(), m.name(), m.version(), label, m.labels().get(label),
        probabilities[label], boxed(probabilities), embedding, model.runtime().configName(), model.precision(),
        sample.timestamp(), clock.millis());
  }

  private static List<Float> boxed(float[] v) {
    List<Float> out = new ArrayList<>(v.length);
    for (float f : v) {
      out.add(f);
    }
    return out;
  }
}
