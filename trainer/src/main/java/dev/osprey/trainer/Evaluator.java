package dev.osprey.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.Softmax;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.PredictorException;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;

/**
 * The one evaluator: runs any {@link Predictor} (PyTorch fp32, ONNX fp32 or int8, on any runtime)
 * on a labeled dataset and gives accuracy, per-class accuracy, the confusion matrix, ECE, top-1
 * agreement with a second predictor and latency. Publishing measures with it, and so will the
 * promotion gate; {@code osprey evaluate} prints it.
 */
public final class Evaluator {
  /** File names {@link #save} writes. */
  public static final String REPORT_JSON = "evaluation.json";
  public static final String REPORT_PNG = "evaluation.png";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final InputSpec input;
  private final int batchSize;

  /** @throws IllegalArgumentException if {@code batchSize} is not positive */
  public Evaluator(InputSpec input, int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
    }
    this.input = input;
    this.batchSize = batchSize;
  }

  /**
   * What one predictor said about each sample of a dataset.
   *
   * @param predicted top-1 class per sample
   * @param confidence its softmax probability per sample
   * @param softmax softmax rows per sample (empty unless kept)
   * @param embeddings embedding rows per sample (empty unless kept, or when the model has none)
   * @param msPerBatch mean wall time of one {@code predict} call
   */
  public record Outputs(int[] predicted, double[] confidence, List<float[]> softmax, List<float[]> embeddings, double msPerBatch) {}

  /**
   * Runs {@code model} over {@code data} in batches.
   *
   * @param keepRows also keep each sample's softmax and embedding (for a reference profile)
   * @throws PredictorException if the engine fails
   */
  public Outputs run(Predictor model, ImageDataset data, boolean keepRows) throws PredictorException {
    ImageBatches batches = new ImageBatches(data, input);
    int n = data.size();
    int[] predicted = new int[n];
    double[] confidence = new double[n];
    List<float[]> softmax = new ArrayList<>(keepRows ? n : 0);
    List<float[]> embeddings = new ArrayList<>(keepRows ? n : 0);
    long nanos = 0;
    int timedBatches = 0;
    for (int from = 0; from < n; from += batchSize) {
      int count = Math.min(batchSize, n - from);
      float[] x = batches.range(from, count);
      long t0 = System.nanoTime();
      Predictions out = model.predict(x, count);
      nanos += System.nanoTime() - t0;
      timedBatches++;
      for (int i = 0; i < count; i++) {
        float[] p = Softmax.of(out.logits(i));
        int best = out.argmax(i);
        predicted[from + i] = best;
        confidence[from + i] = p[best];
        if (keepRows) {
          softmax.add(p);
          if (out.embeddingSize() > 0) {
            embeddings.add(out.embedding(i));
          }
        }
      }
    }
    return new Outputs(predicted, confidence, softmax, embeddings, timedBatches == 0 ? 0 : nanos / 1e6 / timedBatches);
  }

  /**
   * Runs {@code model} (and {@code reference}, when given) over {@code data} and reports.
   *
   * @param reference predictor to measure top-1 agreement with, or null
   * @throws PredictorException if an engine fails
   */
  public EvaluationReport evaluate(Predictor model, ImageDataset data, Predictor reference) throws PredictorException {
    return report(data, run(model, data, false), reference == null ? null : run(reference, data, false));
  }

  /** The figures of {@code outputs} on {@code data}'s labels; agreement with {@code reference} when given. */
  public EvaluationReport report(ImageDataset data, Outputs outputs, Outputs reference) {
    int n = data.size();
    int k = data.classes();
    int[][] confusion = new int[k][k];
    boolean[] correct = new boolean[n];
    for (int i = 0; i < n; i++) {
      confusion[data.label(i)][outputs.predicted()[i]]++;
      correct[i] = outputs.predicted()[i] == data.label(i);
    }
    int right = 0;
    List<Double> perClass = new ArrayList<>();
    for (int c = 0; c < k; c++) {
      int total = 0;
      for (int j = 0; j < k; j++) {
        total += confusion[c][j];
      }
      right += confusion[c][c];
      perClass.add(total == 0 ? Double.NaN : (double) confusion[c][c] / total);
    }
    return new EvaluationReport(
        data.name(), n, (double) right / n, n - right, perClass, confusion,
        Calibration.ece(outputs.confidence(), correct, Calibration.DEFAULT_BINS),
        Calibration.bins(outputs.confidence(), correct, Calibration.DEFAULT_BINS),
        reference == null ? null : agreement(outputs.predicted(), reference.predicted()),
        batchSize, outputs.msPerBatch());
  }

  /**
   * Share of samples on which two predictors pick the same class.
   *
   * @throws IllegalArgumentException if they saw different numbers of samples
   */
  public static double agreement(int[] a, int[] b) {
    if (a.length != b.length || a.length == 0) {
      throw new IllegalArgumentException("agreement of " + a.length + " and " + b.length + " predictions");
    }
    int same = 0;
    for (int i = 0; i < a.length; i++) {
      same += a[i] == b[i] ? 1 : 0;
    }
    return (double) same / a.length;
  }

  /** Writes {@value #REPORT_JSON} and {@value #REPORT_PNG} into {@code dir}. */
  public static void save(EvaluationReport report, Path dir) throws IOException {
    java.nio.file.Files.createDirectories(dir);
    saveJson(report, dir.resolve(REPORT_JSON));
    savePng(report, dir.resolve(REPORT_PNG));
  }

  public static void saveJson(EvaluationReport report, Path file) throws IOException {
    JSON.writeValue(file.toFile(), report);
  }

  /** Confusion-matrix heatmap and reliability diagram side by side. */
  public static void savePng(EvaluationReport report, Path png) throws IOException {
    int k = report.confusion().length;
    List<Integer> classes = new ArrayList<>();
    for (int c = 0; c < k; c++) {
      classes.add(c);
    }
    HeatMapChart heat = new HeatMapChartBuilder().width(560).height(480)
        .title(String.format("%s: confusion (acc %.2f%%)", report.dataset(), 100 * report.accuracy()))
        .xAxisTitle("predicted").yAxisTitle("true").build();
    List<Number[]> cells = new ArrayList<>();
    for (int t = 0; t < k; t++) {
      for (int p = 0; p < k; p++) {
        // log scale so the off-diagonal errors are visible beside a full diagonal
        cells.add(new Number[] {p, t, Math.log1p(report.confusion()[t][p])});
      }
    }
    heat.addSeries("log(1 + count)", classes, classes, cells);
    heat.getStyler().setRangeColors(new Color[] {Color.WHITE, new Color(255, 200, 80), new Color(180, 30, 30)});
    heat.getStyler().setShowValue(false);

    CategoryChart rel = new CategoryChartBuilder().width(480).height(480)
        .title(String.format("reliability (ECE %.4f)", report.ece())).xAxisTitle("confidence bin").yAxisTitle("accuracy").build();
    List<String> labels = new ArrayList<>();
    List<Double> acc = new ArrayList<>();
    List<Double> conf = new ArrayList<>();
    Calibration.Bins bins = report.reliability();
    for (int b = 0; b < bins.count().length; b++) {
      labels.add(String.format("%.2f", (b + 0.5) / bins.count().length));
      acc.add(Double.isNaN(bins.accuracy()[b]) ? 0 : bins.accuracy()[b]);
      conf.add(Double.isNaN(bins.confidence()[b]) ? 0 : bins.confidence()[b]);
    }
    rel.addSeries("accuracy", labels, acc);
    rel.addSeries("confidence", labels, conf);
    rel.getStyler().setXAxisLabelRotation(90);
    heat.getStyler().setChartBackgroundColor(Color.WHITE);
    rel.getStyler().setChartBackgroundColor(Color.WHITE);
    String base = png.toString().endsWith(".png") ? png.toString().substring(0, png.toString().length() - 4) : png.toString();
    BitmapEncoder.saveBitmap(List.of(heat, rel), 1, 2, base, BitmapEncoder.BitmapFormat.PNG);
  }
}
