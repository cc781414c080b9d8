package dev.osprey.cli.train;

import dev.osprey.cli.models.PublishModelCommand;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.registry.ModelRegistry;
import java.io.PrintWriter;
import dev.osprey.model.InputSpec;
import dev.osprey.model.arch.Architectures;
import dev.osprey.trainer.EvaluationReport;
import dev.osprey.trainer.Evaluator;
import dev.osprey.trainer.Recipes;
import dev.osprey.trainer.TrainedModel;
import dev.osprey.trainer.bench.DistillationBenchmark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey train teacher|student|distill|finetune|prune|bench-distill}. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = "Train, distill, fine-tune or prune a classifier; saves a model directory.",
    subcommands = {
      TrainCommand.Teacher.class,
      TrainCommand.Student.class,
      TrainCommand.Distill.class,
      TrainCommand.FineTune.class,
      TrainCommand.Prune.class,
      TrainCommand.BenchDistill.class,
    })
public final class TrainCommand implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** Saves the outcome, evaluates it on the test set if asked, prints a summary. */
  static int finish(TrainingOptions options, Recipes.Outcome outcome) throws Exception {
    try (outcome) {
      outcome.save(options.out);
      System.out.printf(Locale.ROOT, "%s (%s): best validation accuracy %.4f at epoch %d, %.0f s; saved to %s%n",
          outcome.record().spec().name(), outcome.record().recipe(), outcome.record().bestValidationAccuracy(),
          outcome.record().bestEpoch(), outcome.record().seconds(), options.out);
      if (outcome.record().details().containsKey("achievedSparsity")) {
        System.out.printf(Locale.ROOT, "achieved sparsity %.4f%n", (double) outcome.record().details().get("achievedSparsity"));
      }
      ImageDataset test = options.testData();
      if (test != null) {
        EvaluationReport report = new Evaluator(InputSpec.mnist(), 500).evaluate(outcome.model(), test, null);
        EvaluateCommand.write(report, options.out);
        System.out.printf(Locale.ROOT, "%s: accuracy %.4f (%d errors of %d), ECE %.4f%n", test.name(), report.accuracy(), report.errors(), report.count(), report.ece());
      }
    }
    if (options.publish != null) {
      PublishModelCommand.publish(options.out, options.publish, new ModelRegistry(options.registry), options.publishing,
          new Datasets(options.dataDir), new PrintWriter(System.out, true));
    }
    return 0;
  }

  @Command(name = "teacher", mixinStandardHelpOptions = true, description = "Train the teacher from scratch.")
  static final class Teacher implements Callable<Integer> {
    @Mixin TrainingOptions options;

    @Option(names = "--arch", defaultValue = Architectures.CNN_TEACHER, description = "architecture: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})", completionCandidates = ArchNames.class)
    String arch;

    @Override
    public Integer call() throws Exception {
      options.prepareEngine();
      return finish(options, new Recipes(InputSpec.mnist(), true).fromScratch("teacher", Architectures.byName(arch, 10), options.trainData(), options.hyperparameters()));
    }
  }

  @Command(name = "student", mixinStandardHelpOptions = true, description = "Train the student from scratch on hard labels.")
  static final class Student implements Callable<Integer> {
    @Mixin TrainingOptions options;

    @Option(names = "--arch", defaultValue = Architectures.CNN_STUDENT, description = "architecture (default: ${DEFAULT-VALUE})", completionCandidates = ArchNames.class)
    String arch;

    @Override
    public Integer call() throws Exception {
      options.prepareEngine();
      return finish(options, new Recipes(InputSpec.mnist(), true).fromScratch("student", Architectures.byName(arch, 10), options.trainData(), options.hyperparameters()));
    }
  }

  @Command(name = "distill", mixinStandardHelpOptions = true, description = "Distill one or more teachers into a fresh student (Hinton et al. 2015).")
  static final class Distill implements Callable<Integer> {
    @Mixin TrainingOptions options;

    @Option(names = "--arch", defaultValue = Architectures.CNN_STUDENT, description = "student architecture (default: ${DEFAULT-VALUE})", completionCandidates = ArchNames.class)
    String arch;

    @Option(names = "--teacher", required = true, description = "teacher model directory (repeat to average several teachers' soft targets)")
    List<Path> teachers;

    @Option(names = "--temperature", defaultValue = "4", description = "softmax temperature T (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--alpha", defaultValue = "0.1", description = "weight of the hard-label loss (default: ${DEFAULT-VALUE})")
    float alpha;

    @Override
    public Integer call() throws Exception {
      options.prepareEngine();
      List<TrainedModel> loaded = new ArrayList<>();
      try {
        for (Path dir : teachers) {
          loaded.add(TrainedModel.load(dir));
        }
        return finish(options, new Recipes(InputSpec.mnist(), true).distill(Architectures.byName(arch, 10), options.trainData(),
            options.hyperparameters(), loaded, teachers.stream().map(Path::toString).toList(), temperature, alpha));
      } finally {
        loaded.forEach(TrainedModel::close);
      }
    }
  }

  @Command(name = "finetune", mixinStandardHelpOptions = true, description = "New head on a trained model: train it with the backbone frozen, then all layers at LR/10.")
  static final class FineTune implements Callable<Integer> {
    @Mixin TrainingOptions options;

    @Option(names = "--from", required = true, description = "model directory to start from")
    Path from;

    @Option(names = "--classes", defaultValue = "10", description = "classes of the new head (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--frozen-layers", description = "backbone layers frozen from the input side in phase 1 (default: the whole backbone)")
    Integer frozenLayers;

    @Option(names = "--unfreeze-epochs", defaultValue = "1", description = "epochs with everything unfrozen at LR/10 (default: ${DEFAULT-VALUE})")
    int unfreezeEpochs;

    @Override
    public Integer call() throws Exception {
      options.prepareEngine();
      try (TrainedModel base = TrainedModel.load(from)) {
        return finish(options, new Recipes(InputSpec.mnist(), true).fineTune(base, options.trainData(), options.hyperparameters(), classes,
            frozenLayers == null ? Integer.MAX_VALUE : frozenLayers, unfreezeEpochs));
      }
    }
  }

  @Command(name = "prune", mixinStandardHelpOptions = true, description = "L1 magnitude pruning to a target sparsity, then fine-tuning with the mask held.")
  static final class Prune implements Callable<Integer> {
    @Mixin TrainingOptions options;

    @Option(names = "--from", required = true, description = "model directory to prune")
    Path from;

    @Option(names = "--sparsity", defaultValue = "0.5", description = "share of backbone weights to remove (default: ${DEFAULT-VALUE})")
    float sparsity;

    @Override
    public Integer call() throws Exception {
      options.prepareEngine();
      TrainedModel base = TrainedModel.load(from);
      return finish(options, new Recipes(InputSpec.mnist(), true).prune(base, options.trainData(), options.hyperparameters(), sparsity));
    }
  }

  @Command(name = "bench-distill", mixinStandardHelpOptions = true, description = "Distillation benchmark on full MNIST (teacher, hard-label student, distilled students).")
  static final class BenchDistill implements Callable<Integer> {
    @Option(names = "--data-dir", required = true, description = "directory holding mnist/")
    Path dataDir;

    @Option(names = "--out", required = true, description = "directory for the trained models and results")
    Path out;

    @Option(names = "--family", defaultValue = "cnn", description = "cnn or mlp (default: ${DEFAULT-VALUE})")
    String family;

    @Option(names = "--teacher-epochs", defaultValue = "5")
    int teacherEpochs;

    @Option(names = "--student-epochs", defaultValue = "5")
    int studentEpochs;

    @Option(names = "--temperatures", split = ",", defaultValue = "1,4,10,20")
    List<Float> temperatures;

    @Option(names = "--alpha", defaultValue = "0.1")
    float alpha;

    @Option(names = "--batch-size", defaultValue = "128")
    int batchSize;

    @Option(names = "--seed", defaultValue = "42")
    int seed;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: available cores)")
    Integer threads;

    @Override
    public Integer call() throws Exception {
      TrainingOptions engine = new TrainingOptions();
      engine.threads = threads;
      engine.prepareEngine();
      var rows = new DistillationBenchmark(new DistillationBenchmark.Config(dataDir, out, family, teacherEpochs, studentEpochs,
          temperatures, alpha, batchSize, seed, true)).run();
      System.out.println(DistillationBenchmark.table(rows));
      return 0;
    }
  }

  static final class ArchNames extends ArrayList<String> {
    ArchNames() {
      super(Architectures.names());
    }
  }
}
