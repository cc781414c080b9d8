package dev.osprey.cli.models;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.trainer.pipeline.ModelPipeline;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code osprey models publish DIR --name NAME}: a trained model directory ({@code osprey train
 * ...}) becomes the next registry version of NAME — fp32 and int8 ONNX, DJL parameters, measured
 * accuracy and agreement, and the drift reference profile.
 */
@Command(name = "publish", mixinStandardHelpOptions = true,
    description = "Export, quantize, measure and publish a trained model directory as the next version of a name.")
public final class PublishModelCommand implements Callable<Integer> {
  @Mixin RegistryOption registry;
  @Mixin Settings settings;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "Trained model directory (training.json + DJL parameters).")
  Path dir;

  @Option(names = "--name", required = true, description = "Registry name of the model.")
  String name;

  /** The options a publish shares with {@code osprey train --publish}. */
  public static final class Settings {
    @Option(names = "--reference", paramLabel = "DATASET",
        description = "Labelled data for accuracy and the drift reference profile (default: the training set's test split, e.g. mnist:test).")
    public String reference;

    @Option(names = "--calibration", paramLabel = "DATASET", description = "int8 calibration data (default: the training set).")
    public String calibration;

    @Option(names = "--calibration-samples", defaultValue = "1000", description = "Calibration samples (default: ${DEFAULT-VALUE}).")
    public int calibrationSamples;

    @Option(names = "--calibration-method", defaultValue = "entropy", description = "minmax, percentile or entropy (default: ${DEFAULT-VALUE}).")
    public String method;

    @Option(names = "--parent", description = "Version this one succeeds (default: the latest version of the name, if any).")
    public Integer parent;

    /** These settings for publishing as the next version of {@code name}. */
    public ModelPipeline.Publication publication(String name) {
      return new ModelPipeline.Publication(name, reference, calibration, calibrationSamples, CalibrationMethod.parse(method), parent);
    }
  }

  @Option(names = "--data-dir", defaultValue = "data", description = "Dataset directory (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    DjlOfflineGuard.install();
    PrintWriter out = spec.commandLine().getOut();
    new ModelPipeline(registry.open(), new Datasets(dataDir), out::println)
        .run(ModelPipeline.Plan.fromDirectory(dir).optPublish(settings.publication(name)));
    out.flush();
    return 0;
  }
}
