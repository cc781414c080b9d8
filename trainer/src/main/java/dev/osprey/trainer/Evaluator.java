package dev.osprey.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
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
 * Evaluates any {@link LogitsFunction} (DJL, ONNX Runtime, int8) on a labeled dataset: accuracy,
 * per-class accuracy, confusion matrix, ECE, agreement with a reference model and latency.
 */
public final class Evaluator {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final InputSpec input;
  private final int batchSize;

  public Evaluator(InputSpec input, int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
    }
    this.input = input;
    this.batchSize = batchSize;
  }

  /**
   * @param reference model to measure top-1 agreement with, or null
   */
  public EvaluationReport evaluate(LogitsFunction model, ImageDataset data, LogitsFunction reference) {
    ImageBatches batches = new ImageBatches(data, input);
    int n = data.size();
    int k = data.classes();
    int[] all = ImageBatches.range(n);
    int[][] confusion = new int[k][k];
    double[] confidence = new double[n];
    boolean[] correct = new boolean[n];
    int agree = 0;
    long nanos = 0;
    int timedBatches = 0;
    for (int from = 0; from < n; from += batchSize) {
      int to = Math.min(n, from + batchSize);
      float[] x = batches.batch(all, from, to);
      long t0 = System.nanoTime();
      float[][] logits = model.logits(x, to - from);
      nanos += System.nanoTime() - t0;
      timedBatches++;
      float[][] ref = reference == null ? null : reference.logits(x, to - from);
      for (int i = from; i < to; i++) {
        float[] p = DistillationLoss.softmax(logits[i - from], 1f);
        int pred = argMax(p);
        int label = data.label(i);
        confusion[label][pred]++;
        confidence[i] = p[pred];
        correct[i] = pred == label;
        if (ref != null && argMax(ref[i - from]) == pred) {
          agree++;
        }
      }
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
        Calibration.ece(confidence, correct, Calibration.DEFAULT_BINS),
        Calibration.bins(confidence, correct, Calibration.DEFAULT_BINS),
        reference == null ? null : (double) agree / n,
        batchSize, nanos / 1e6 / timedBatches);
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

  private static int argMax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
