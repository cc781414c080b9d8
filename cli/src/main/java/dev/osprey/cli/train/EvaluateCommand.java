package dev.osprey.cli.train;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.runtime.PyTorchPredictor;
import dev.osprey.trainer.EvaluationReport;
import dev.osprey.trainer.Evaluator;
import dev.osprey.trainer.TrainedModel;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code osprey evaluate}: accuracy, per-class accuracy, confusion, ECE, agreement, latency. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, description = "Evaluate a trained model directory on a labeled dataset.")
public final class EvaluateCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "trained model directory")
  Path model;

  @Option(names = "--test-dataset", defaultValue = "fixture:test", description = "dataset (default: ${DEFAULT-VALUE})")
  String dataset;

  @Option(names = "--data-dir", defaultValue = "data", description = "directory holding mnist/ etc. (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--reference", description = "model directory to measure top-1 agreement with")
  Path reference;

  @Option(names = "--batch-size", defaultValue = "500", description = "batch size, also the latency unit (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--out", description = "directory for evaluation.json and evaluation.png (default: the model directory)")
  Path out;

  @Override
  public Integer call() throws Exception {
    DjlOfflineGuard.install();
    ImageDataset data = new Datasets(dataDir).load(dataset);
    try (TrainedModel net = TrainedModel.load(model);
        TrainedModel ref = reference == null ? null : TrainedModel.load(reference);
        PyTorchPredictor netLogits = net.network().newPredictor();
        PyTorchPredictor refLogits = ref == null ? null : ref.network().newPredictor()) {
      EvaluationReport report = new Evaluator(net.record().input(), batchSize).evaluate(netLogits, data, refLogits);
      Evaluator.save(report, out == null ? model : out);
      System.out.printf(Locale.ROOT, "%s on %s: accuracy %.4f (%d errors of %d), ECE %.4f, %.2f ms/batch of %d%s%n",
          net.record().spec().name(), data.name(), report.accuracy(), report.errors(), report.count(), report.ece(),
          report.latencyMsPerBatch(), batchSize,
          report.agreement() == null ? "" : String.format(Locale.ROOT, ", agreement %.4f", report.agreement()));
    }
    return 0;
  }
}
