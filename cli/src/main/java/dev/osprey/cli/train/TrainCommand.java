package dev.osprey.cli.train;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.trainer.TrainedModel;
import dev.osprey.trainer.bench.DistillationBenchmark;
import dev.osprey.trainer.pipeline.ModelPipeline;
import dev.osprey.trainer.pipeline.Teachers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  /**
   * Runs the recipe through the model pipeline: train, save to {@code --out}, evaluate on
   * {@code --test-dataset} if given, publish if {@code --publish NAME} is given.
   */
  static int finish(TrainingOptions options, ModelPipeline.Training training) throws Exception {
    ModelPipeline.Plan plan = ModelPipeline.Plan.train(training).optSaveTo(options.out);
    ImageDataset test = options.testData();
    if (test != null) {
      plan.optEvaluateOn(test);
    }
    if (options.publish != null) {
      plan.optPublish(options.publishing.publication(options.publish));
    }
    new ModelPipeline(new ModelRegistry(options.registry), new Datasets(options.dataDir), System.out::println).run(plan);
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
      ImageDataset train = options.trainData();
      return finish(options, recipes -> recipes.fromScratch("teacher", Architectures.byName(arch, train.classes()), train, options.hyperparameters()));
    }
  }

  @Command(name = "student", mixinStandardHelpOptions = true, description = "Train the student from scratch on hard labels.")
  static final class Student implements Callable<Integer> {
    @Mixin TrainingOptions options;

    @Option(names = "--arch", defaultValue = Architectures.DEFAULT_STUDENT, description = "architecture (default: ${DEFAULT-VALUE})", completionCandidates = ArchNames.class)
    String arch;

    @Override
    public Integer call() throws Exception {
      options.prepareEngine();
      ImageDataset train = options.trainData();
      return finish(options, recipes -> recipes.fromScratch("student", Architectures.byName(arch, train.classes()), train, options.hyperparameters()));
    }
  }

  @Command(name = "distill", mixinStandardHelpOptions = true, description = "Distill one or more teachers into a fresh student (Hinton et al. 2015).")
  static final class Distill implements Callable<Integer> {
    @Mixin TrainingOptions options;

    @Option(names = "--arch", defaultValue = Architectures.DEFAULT_STUDENT, description = "student architecture (default: ${DEFAULT-VALUE})", completionCandidates = ArchNames.class)
    String arch;

    @Option(names = "--teacher", description = "teacher model directory (repeat to average several teachers' soft targets)")
    List<Path> teachers;

    @Option(names = "--teacher-model", paramLabel = "NAME[:VERSION]",
        description = "a registry version as teacher (from --registry; repeatable, combines with --teacher)")
    List<String> teacherModels;

    @Option(names = "--temperature", defaultValue = "4", description = "softmax temperature T (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--alpha", defaultValue = "0.1", description = "weight of the hard-label loss (default: ${DEFAULT-VALUE})")
    float alpha;

    @Override
    public Integer call() throws Exception {
      options.prepareEngine();
      ImageDataset train = options.trainData();
      if ((teachers == null || teachers.isEmpty()) && (teacherModels == null || teacherModels.isEmpty())) {
        throw new IllegalArgumentException("give at least one --teacher DIR or --teacher-model NAME[:VERSION]");
      }
      return finish(options, recipes -> {
        try (Teachers opened = new Teachers()) {
          for (Path dir : teachers == null ? List.<Path>of() : teachers) {
            opened.addDirectory(dir);
          }
          for (String ref : teacherModels == null ? List.<String>of() : teacherModels) {
            opened.addVersion(new ModelRegistry(options.registry), ModelRef.parse(ref));
          }
          return recipes.distill(Architectures.byName(arch, train.classes()), train, options.hyperparameters(), opened.list(), temperature, alpha);
        }
      });
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
      ImageDataset train = options.trainData();
      return finish(options, recipes -> {
        try (TrainedModel base = TrainedModel.load(from)) {
          return recipes.fineTune(base.network(), train, options.hyperparameters(), classes,
              frozenLayers == null ? Integer.MAX_VALUE : frozenLayers, unfreezeEpochs);
        }
      });
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
      ImageDataset train = options.trainData();
      // the pruned model takes over the loaded network; the pipeline closes it
      return finish(options, recipes -> recipes.prune(TrainedModel.load(from).network(), train, options.hyperparameters(), sparsity));
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
