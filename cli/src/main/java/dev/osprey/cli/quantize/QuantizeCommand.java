package dev.osprey.cli.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.DatasetSchema;
import dev.osprey.model.onnx.OnnxExporter;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QdqQuantizer;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.trainer.TrainedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osprey quantize}: int8 static QDQ quantization of a trained model directory (exported to
 * ONNX first) or of any ONNX file, calibrated on a dataset.
 */
@Command(
    name = "quantize",
    mixinStandardHelpOptions = true,
    subcommands = {Int8BenchCommand.class},
    description = "Quantize a model to int8 QDQ ONNX (symmetric, per-channel weights), calibrated on real samples.")
public final class QuantizeCommand implements Callable<Integer> {

  static final class Source {
    @Option(names = "--model", description = "trained model directory (training.json + DJL params); exported to ONNX first")
    Path model;

    @Option(names = "--onnx", description = "fp32 ONNX file with one float input [N, ...] (already-normalized input)")
    Path onnx;
  }

  @ArgGroup(exclusive = true)
  Source source;

  @Option(names = "--calibration", defaultValue = "fixture:train", description = "calibration dataset (default: ${DEFAULT-VALUE})")
  String calibration;

  @Option(names = "--samples", defaultValue = "1000", description = "calibration samples (default: ${DEFAULT-VALUE})")
  int samples;

  @Option(names = "--method", defaultValue = "entropy", description = "minmax, percentile or entropy (default: ${DEFAULT-VALUE})")
  String method;

  @Option(names = "--percentile", defaultValue = "99.99", description = "percentile for --method percentile (default: ${DEFAULT-VALUE})")
  double percentile;

  @Option(names = "--full-range-weights", description = "8-bit weights [-127,127] instead of 7-bit (only for CPUs with VNNI or TensorRT-only use)")
  boolean fullRange;

  @Option(names = "--data-dir", defaultValue = "data", description = "dataset directory for mnist:* specs (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--fp32-out", description = "also write the exported fp32 ONNX here (with --model)")
  Path fp32Out;

  // not picocli-required: that would also demand it before the `bench` subcommand
  @Option(names = "--out", description = "int8 ONNX file to write (required)")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (out == null) {
      throw new IllegalArgumentException("--out FILE is required");
    }
    if (source == null) {
      throw new IllegalArgumentException("give --model DIR or --onnx FILE");
    }
    if (samples < 1) {
      throw new IllegalArgumentException("--samples must be >= 1, got " + samples);
    }
    ModelProto fp32;
    if (source.model != null) {
      try (DjlNetwork dir = TrainedModel.load(source.model).network()) {
        fp32 = new OnnxExporter().export(dir.spec(), dir.block());
      }
      if (fp32Out != null) {
        Files.write(fp32Out, fp32.toByteArray());
      }
    } else {
      fp32 = ModelProto.parseFrom(Files.readAllBytes(source.onnx));
    }
    ImageDataset data = new Datasets(dataDir).load(calibration);
    int n = Math.min(samples, data.size());
    float[] x = ImageBatches.normalize(data, DatasetSchema.of(data).input(), 0, n);
    QuantizationConfig config = QuantizationConfig.of(CalibrationMethod.parse(method))
        .withPercentile(percentile).withReduceRange(!fullRange);
    long steps = config.method() == CalibrationMethod.MINMAX ? n : 2L * n;
    QdqQuantizer.Result result;
    try (ProgressBar pb = new ProgressBar("calibrate " + config.method().name().toLowerCase(Locale.ROOT), steps)) {
      result = new QdqQuantizer(config).quantize(fp32, x, n, pb::stepTo);
    }
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.write(out, result.model().toByteArray());
    System.out.printf(Locale.ROOT, "quantized %d activation tensors on %d samples of %s (%s); %d -> %d bytes; wrote %s%n",
        result.activationScales().size(), n, calibration, config.method().name().toLowerCase(Locale.ROOT),
        fp32.getSerializedSize(), result.model().getSerializedSize(), out);
    return 0;
  }
}
