package dev.osprey.cli.quantize;

import ai.djl.Model;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.DatasetSchema;
import dev.osprey.model.net.LayerSpec;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.runtime.FixtureTrainer;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.Int8Benchmark;
import dev.osprey.trainer.TrainedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code osprey quantize bench}: the int8 vs fp32 benchmark ({@link Int8Benchmark}). */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmark int8 vs fp32 (accuracy, agreement, size, throughput, ORT profile).")
public final class Int8BenchCommand implements Callable<Integer> {

  /** Same layers as the arch module's student CNN; trained here only when no --model is given. */
  static final NetworkSpec STUDENT = new NetworkSpec("cnn-student", List.of(1, 28, 28),
      List.of(new LayerSpec.Conv(8, 3, 1, 1), new LayerSpec.BatchNormalization(1e-5f), new LayerSpec.Relu(),
          new LayerSpec.MaxPool(2, 2), new LayerSpec.Conv(16, 3, 1, 1), new LayerSpec.BatchNormalization(1e-5f),
          new LayerSpec.Relu(), new LayerSpec.MaxPool(2, 2)),
      List.of(new LayerSpec.Flatten(), new LayerSpec.Dense(64), new LayerSpec.Relu()), 10);

  /** Same layers as the arch module's teacher CNN (wider: where int8 kernels have work to amortize). */
  static final NetworkSpec TEACHER = new NetworkSpec("cnn-teacher", List.of(1, 28, 28),
      List.of(new LayerSpec.Conv(32, 3, 1, 1), new LayerSpec.BatchNormalization(1e-5f), new LayerSpec.Relu(),
          new LayerSpec.MaxPool(2, 2), new LayerSpec.Conv(64, 3, 1, 1), new LayerSpec.BatchNormalization(1e-5f),
          new LayerSpec.Relu(), new LayerSpec.MaxPool(2, 2)),
      List.of(new LayerSpec.Flatten(), new LayerSpec.Dense(256), new LayerSpec.BatchNormalization(1e-5f),
          new LayerSpec.Relu(), new LayerSpec.DropoutLayer(0.3f)), 10);

  @Option(names = "--arch", defaultValue = "student", description = "student or teacher, trained when no --model (default: ${DEFAULT-VALUE})")
  String arch;

  @Option(names = "--model", description = "trained model directory; without it a student CNN is trained on --train")
  Path model;

  @Option(names = "--train", defaultValue = "fixture:train", description = "training set when no --model (default: ${DEFAULT-VALUE})")
  String train;

  @Option(names = "--steps", defaultValue = "1500", description = "SGD steps of 64 when no --model (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--test", defaultValue = "fixture:test", description = "evaluation set, e.g. mnist:test (default: ${DEFAULT-VALUE})")
  String test;

  @Option(names = "--calibration", defaultValue = "fixture:train", description = "calibration set (default: ${DEFAULT-VALUE})")
  String calibration;

  @Option(names = "--samples", defaultValue = "1000", description = "calibration samples (default: ${DEFAULT-VALUE})")
  int samples;

  @Option(names = "--method", defaultValue = "entropy", description = "minmax, percentile or entropy (default: ${DEFAULT-VALUE})")
  String method;

  @Option(names = "--seconds", defaultValue = "3", description = "timing window per cell (default: ${DEFAULT-VALUE})")
  double seconds;

  @Option(names = "--data-dir", defaultValue = "data", description = "dataset directory (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--out", required = true, description = "directory for fp32.onnx, int8.onnx, profiles and int8-benchmark.md")
  Path out;

  @Override
  public Integer call() throws Exception {
    Datasets datasets = new Datasets(dataDir);
    ImageDataset testSet = datasets.load(test);
    ImageDataset cal = datasets.load(calibration);
    int n = Math.min(samples, cal.size());
    float[] x = ImageBatches.normalize(cal, DatasetSchema.of(cal).input(), 0, n);
    DjlNetwork dir;
    if (model != null) {
      dir = TrainedModel.load(model).network();
    } else {
      ImageDataset trainSet = datasets.load(train);
      NetworkSpec spec = switch (arch) {
        case "student" -> STUDENT;
        case "teacher" -> TEACHER;
        default -> throw new IllegalArgumentException("--arch must be student or teacher, got " + arch);
      };
      Model m;
      try (ProgressBar pb = new ProgressBar("train " + arch, steps)) {
        m = FixtureTrainer.train(spec, trainSet, DatasetSchema.of(trainSet).input(), steps, 64, 0.05f, 7, pb::stepTo);
      }
      dir = DjlNetwork.of(spec, m);
    }
    try (dir) {
      Int8Benchmark.Report r = Int8Benchmark.run(new Int8Benchmark.Config(dir, testSet, x, n,
          QuantizationConfig.of(CalibrationMethod.parse(method)), seconds, out));
      String md = "Model: " + (model != null ? model.getFileName() : dir.spec().name() + " trained " + steps + " steps on " + train)
          + "; test set " + test + "; calibration " + n + " samples of " + calibration + " (" + method + ")\n\n" + r.markdown();
      Files.writeString(out.resolve("int8-benchmark.md"), md);
      System.out.println(md);
    }
    return 0;
  }
}
