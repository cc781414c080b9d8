package dev.osprey.model.runtime;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.DatasetSchema;
import dev.osprey.model.onnx.OnnxExporter;
import dev.osprey.model.quant.QdqQuantizer;
import dev.osprey.model.quant.QuantizationConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import me.tongfei.progressbar.ProgressBar;

/**
 * int8 vs fp32: accuracy, top-1 agreement, file size, and throughput at batch 1 and 64 on ONNX
 * Runtime CPU with 1 and 2 intra-op threads, against DJL PyTorch fp32; then an ORT profile of both
 * ONNX models at batch 64 (time per operator type). A measurement, not a test: run it from the
 * CLI ({@code osprey quantize bench}).
 */
public final class Int8Benchmark {

  /**
   * @param model the trained model (closed by the caller)
   * @param test evaluation set
   * @param calibration normalized calibration samples
   * @param calibrationCount number of calibration samples
   * @param quantization quantizer settings
   * @param seconds timing window per throughput cell
   * @param out directory for the ONNX files and profiles
   */
  public record Config(DjlNetwork model, ImageDataset test, float[] calibration, int calibrationCount,
      QuantizationConfig quantization, double seconds, Path out) {}

  public record Accuracy(String runtime, double accuracy, int errors, int count) {}

  public record Throughput(String runtime, int batch, int threads, double samplesPerSecond) {}

  public record Report(List<Accuracy> accuracy, double agreement, long fp32Bytes, long int8Bytes,
      List<Throughput> throughput, Map<String, Map<String, Double>> profileMicros) {

    public String markdown() {
      StringBuilder s = new StringBuilder();
      s.append("| runtime | accuracy | errors |\n|---|---|---|\n");
      for (Accuracy a : accuracy) {
        s.append(String.format(Locale.ROOT, "| %s | %.4f | %d / %d |%n", a.runtime(), a.accuracy(), a.errors(), a.count()));
      }
      s.append(String.format(Locale.ROOT, "%nTop-1 agreement int8 vs fp32 (ONNX): %.4f%n%n", agreement));
      s.append(String.format(Locale.ROOT, "Model size: fp32 %d bytes, int8 %d bytes (%.2fx smaller)%n%n",
          fp32Bytes, int8Bytes, (double) fp32Bytes / int8Bytes));
      s.append("| runtime | batch | intra-op threads | samples/s |\n|---|---|---|---|\n");
      for (Throughput t : throughput) {
        s.append(String.format(Locale.ROOT, "| %s | %d | %s | %.0f |%n", t.runtime(), t.batch(),
            t.threads() == 0 ? "engine default" : Integer.toString(t.threads()), t.samplesPerSecond()));
      }
      for (Map.Entry<String, Map<String, Double>> p : profileMicros.entrySet()) {
        double total = p.getValue().values().stream().mapToDouble(Double::doubleValue).sum();
        s.append(String.format(Locale.ROOT, "%nORT profile, %s, batch 64, 1 thread (kernel time per batch by operator type, total %.0f us):%n%n", p.getKey(), total));
        s.append("| operator | us per batch | share |\n|---|---|---|\n");
        p.getValue().entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
            .forEach(e -> s.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f%% |%n", e.getKey(), e.getValue(),
                100 * e.getValue() / total)));
      }
      return s.toString();
    }
  }

  private Int8Benchmark() {}

  public static Report run(Config c) throws Exception {
    Files.createDirectories(c.out());
    ModelProto fp32 = new OnnxExporter().export(c.model().spec(), c.model().block());
    Path fp32File = c.out().resolve("fp32.onnx");
    Files.write(fp32File, fp32.toByteArray());
    ModelProto int8;
    try (ProgressBar pb = new ProgressBar("calibrate", c.quantization().method() == dev.osprey.model.quant.CalibrationMethod.MINMAX
        ? c.calibrationCount() : 2L * c.calibrationCount())) {
      int8 = new QdqQuantizer(c.quantization()).quantize(fp32, c.calibration(), c.calibrationCount(), pb::stepTo).model();
    }
    Path int8File = c.out().resolve("int8.onnx");
    Files.write(int8File, int8.toByteArray());

    int n = c.test().size();
    float[] x = ImageBatches.normalize(c.test(), DatasetSchema.of(c.test()).input(), 0, n);
    int[] predFp32;
    int[] predInt8;
    int[] predTorch;
    try (OnnxPredictor f = OnnxPredictor.openCpu(fp32File, OrtConfig.cpu(2));
        OnnxPredictor q = OnnxPredictor.openCpu(int8File, OrtConfig.cpu(2));
        PyTorchPredictor t = c.model().newPredictor()) {
      predFp32 = argmax(f, x, n);
      predInt8 = argmax(q, x, n);
      predTorch = argmax(t, x, n);
    }
    List<Accuracy> acc = List.of(accuracy("pytorch fp32", predTorch, c.test()), accuracy("onnx-cpu fp32", predFp32, c.test()),
        accuracy("onnx-cpu int8", predInt8, c.test()));
    int agree = 0;
    for (int i = 0; i < n; i++) {
      agree += predFp32[i] == predInt8[i] ? 1 : 0;
    }

    List<Throughput> tp = new ArrayList<>();
    int[][] cells = {{1, 1}, {1, 2}, {64, 1}, {64, 2}};
    try (ProgressBar pb = new ProgressBar("throughput", cells.length * 2L + 2)) {
      for (int[] cell : cells) {
        for (String kind : new String[] {"fp32", "int8"}) {
          try (OnnxPredictor p = OnnxPredictor.openCpu(kind.equals("fp32") ? fp32File : int8File, OrtConfig.cpu(cell[1]))) {
            tp.add(new Throughput("onnx-cpu " + kind, cell[0], cell[1], throughput(p, x, cell[0], c.seconds())));
          }
          pb.step();
        }
      }
      try (PyTorchPredictor t = c.model().newPredictor()) {
        for (int batch : new int[] {1, 64}) {
          tp.add(new Throughput("pytorch fp32", batch, 0, throughput(t, x, batch, c.seconds())));
          pb.step();
        }
      }
    }

    Map<String, Path> profileFiles = new TreeMap<>();
    for (String kind : new String[] {"fp32", "int8"}) {
      Path file = kind.equals("fp32") ? fp32File : int8File;
      OrtConfig cfg = OrtConfig.cpu(1).withProfiling(c.out().resolve("profile-" + kind));
      try (OnnxPredictor p = OnnxPredictor.openCpu(file, cfg)) {
        throughput(p, x, 64, Math.min(2, c.seconds()));
        profileFiles.put(kind, Path.of(p.endProfiling()));
      }
    }
    // parsed only after both sessions are gone: ORT may still be writing a large profile right
    // after endProfiling returns (an empty file was seen when read immediately)
    Map<String, Map<String, Double>> profiles = new TreeMap<>();
    for (Map.Entry<String, Path> e : profileFiles.entrySet()) {
      profiles.put(e.getKey() + " (" + e.getValue().getFileName() + ")", perOperator(e.getValue()));
    }
    return new Report(acc, (double) agree / n, Files.size(fp32File), Files.size(int8File), tp, profiles);
  }

  /** ORT profile node durations by operator type, microseconds per run (batch). */
  static Map<String, Double> perOperator(Path profileJson) throws IOException {
    // ORT finishes writing large profiles after endProfiling/close return: wait (bounded) for the
    // closing bracket of the JSON array
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!Files.readString(profileJson).strip().endsWith("]") && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
    }
    Map<String, Double> byOp = new TreeMap<>();
    int runs = 0;
    for (JsonNode e : new ObjectMapper().readTree(profileJson.toFile())) {
      if ("model_run".equals(e.path("name").asText())) {
        runs++;
      } else if ("Node".equals(e.path("cat").asText()) && e.path("name").asText().endsWith("_kernel_time")) {
        byOp.merge(e.path("args").path("op_name").asText("?"), e.path("dur").asDouble(), Double::sum);
      }
    }
    // per run (one batch), so fp32 and int8 compare directly
    int perRun = Math.max(1, runs);
    byOp.replaceAll((k, v) -> v / perRun);
    return byOp;
  }

  private static int[] argmax(Predictor p, float[] x, int n) throws PredictorException {
    int[] out = new int[n];
    int size = p.sampleSize();
    for (int from = 0; from < n; from += 250) {
      int b = Math.min(250, n - from);
      Predictions r = p.predict(java.util.Arrays.copyOfRange(x, from * size, (from + b) * size), b);
      for (int i = 0; i < b; i++) {
        out[from + i] = r.argmax(i);
      }
    }
    return out;
  }

  private static Accuracy accuracy(String name, int[] pred, ImageDataset test) {
    int errors = 0;
    for (int i = 0; i < pred.length; i++) {
      errors += pred[i] == test.label(i) ? 0 : 1;
    }
    return new Accuracy(name, 1 - (double) errors / pred.length, errors, pred.length);
  }

  /** Samples per second over a window of {@code seconds}, after a warm-up. */
  private static double throughput(Predictor p, float[] x, int batch, double seconds) throws PredictorException {
    int size = p.sampleSize();
    int batches = x.length / size / batch;
    float[][] inputs = new float[Math.min(batches, 16)][];
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = java.util.Arrays.copyOfRange(x, i * batch * size, (i + 1) * batch * size);
    }
    for (int i = 0; i < 20; i++) {
      p.predict(inputs[i % inputs.length], batch);
    }
    long end = System.nanoTime() + (long) (seconds * 1e9);
    long start = System.nanoTime();
    long samples = 0;
    int i = 0;
    while (System.nanoTime() < end) {
      p.predict(inputs[i++ % inputs.length], batch);
      samples += batch;
    }
    return samples / ((System.nanoTime() - start) / 1e9);
  }
}
