package dev.osprey.trainer.bench;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.osprey.core.data.DatasetFetcher;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.DatasetSchema;
import dev.osprey.model.InputSpec;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.onnx.OnnxExporter;
import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.plan.PlanFigures;
import dev.osprey.model.plan.PrecisionPlanner;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.trainer.Hyperparameters;
import dev.osprey.trainer.Recipes;
import dev.osprey.trainer.TrainedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The precision Pareto study (docs/benchmarks-precision.md): several student architectures, each
 * distilled from one cached teacher with the same small budget, each planned by the
 * {@link PrecisionPlanner} (fp32, full int8, Gemm-only int8, int8 with the losing layers in fp32),
 * and every (architecture, plan) placed by accuracy against samples/s at batch 64 on this host.
 * Prints the table with the Pareto front and the plan {@code auto} picks per architecture.
 *
 * <p>Usage: {@code StudentParetoBenchmark DATA_DIR OUT_DIR [studentEpochs] [teacherEpochs] [arch,arch,...] [trainImages]}.
 * Full MNIST when {@code DATA_DIR/mnist} holds it ({@code osprey data fetch mnist}), else the bundled
 * fixture; {@code trainImages} keeps only the first that many training images (the students' and the
 * teacher-logit budget on a busy machine); accuracy is always on the whole test split. The teacher
 * and each student are saved under OUT_DIR and reused by the next run.
 */
public final class StudentParetoBenchmark {
  static final float TEMPERATURE = 4f;
  static final float ALPHA = 0.1f;
  static final int CALIBRATION_SAMPLES = 1000;

  /** One (architecture, plan) point; {@code auto} marks the plan {@code precision=auto} picks for that architecture. */
  record Point(String arch, long parameters, double trainSeconds, PlanFigures figures, double speedupOverFp32, boolean auto,
      boolean pareto) {}

  private StudentParetoBenchmark() {}

  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    if (args.length < 2) {
      System.err.println("usage: StudentParetoBenchmark DATA_DIR OUT_DIR [studentEpochs] [teacherEpochs] [arch,arch,...]");
      System.exit(2);
    }
    Path dataDir = Path.of(args[0]);
    Path out = Files.createDirectories(Path.of(args[1]));
    int studentEpochs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int teacherEpochs = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    List<String> archs = args.length > 4 ? List.of(args[4].split(",")) : Architectures.students();
    int trainImages = args.length > 5 ? Integer.parseInt(args[5]) : Integer.MAX_VALUE;
    long start = System.nanoTime();

    String dataset = DatasetFetcher.complete(dataDir.resolve("mnist")) ? "mnist" : "fixture";
    Datasets datasets = new Datasets(dataDir);
    ImageDataset fullTrain = datasets.load(dataset + ":train");
    ImageDataset train = fullTrain.slice(0, Math.min(trainImages, fullTrain.size()));
    ImageDataset test = datasets.load(dataset + ":test");
    InputSpec input = DatasetSchema.of(test).input();
    HostProfile host = HostProfile.current();
    System.out.printf(Locale.ROOT, "study on %s (%d train, %d test), host %s%n", dataset, train.size(), test.size(), host.key());

    Hyperparameters base = Hyperparameters.defaults().withSeed(42).withLabelSmoothing(0f);
    Recipes recipes = new Recipes(true);
    Path teacherDir = out.resolve(Architectures.CNN_TEACHER);
    TrainedModel teacher = teacher(recipes, teacherDir, fullTrain, base.withEpochs(teacherEpochs).withAugmentation(2, 0f));
    System.out.printf(Locale.ROOT, "teacher %s: validation accuracy %.4f (%d epochs, %.0f s)%n", teacherDir,
        teacher.record().bestValidationAccuracy(), teacher.record().history().size(), teacher.record().seconds());

    float[] calibration = ImageBatches.normalize(train, input, 0, CALIBRATION_SAMPLES);
    PrecisionPlanner.Reference reference = new PrecisionPlanner.Reference(
        ImageBatches.normalize(test, input, 0, test.size()), ImageBatches.labels(test, 0, test.size()), input.size());
    PrecisionPlanner planner = new PrecisionPlanner(new PrecisionPlanner.Options(64, 1, 5, 0.4, 1.03, 0.003, 0.995));
    List<Point> points = new ArrayList<>();
    try (teacher; MemoizedPredictor teacherLogits = new MemoizedPredictor(teacher.network().newPredictor())) {
      Recipes.Teacher asTeacher = new Recipes.Teacher(teacherLogits, TrainedModel.teacherIdentity(teacherDir));
      for (String arch : archs) {
        NetworkSpec spec = Architectures.byName(arch, train.classes());
        Path dir = out.resolve(arch);
        boolean cached = Files.isRegularFile(dir.resolve(TrainedModel.RECORD_FILE));
        try (TrainedModel student = cached ? TrainedModel.load(dir)
            : recipes.distill(spec, train, base.withEpochs(studentEpochs), List.of(asTeacher), TEMPERATURE, ALPHA)) {
          if (!cached) {
            student.save(dir);
          }
          System.out.printf(Locale.ROOT, "%s: validation accuracy %.4f, %.0f s%n", arch, student.record().bestValidationAccuracy(),
              student.record().seconds());
          ModelProto fp32 = new OnnxExporter().export(spec, student.network().block());
          PrecisionPlanner.Result result = planner.plan(fp32, QuantizationConfig.of(CalibrationMethod.ENTROPY), calibration,
              CALIBRATION_SAMPLES, reference, step -> System.out.println("  " + arch + ": " + step));
          double fp32Rate = result.figures().stream().filter(f -> f.plan().equals("fp32")).findFirst().orElseThrow().samplesPerSecond();
          for (PlanFigures f : result.figures()) {
            points.add(new Point(arch, Architectures.parameterCount(spec), student.record().seconds(), f,
                f.samplesPerSecond() / fp32Rate, f.plan().equals(result.choice().plan()), false));
          }
          System.out.println("  " + arch + " auto: " + result.choice().reason());
        }
        writeResults(out, markPareto(points), dataset, host, studentEpochs, start);
      }
    }
    List<Point> marked = markPareto(points);
    writeResults(out, marked, dataset, host, studentEpochs, start);
    System.out.println(table(marked));
    System.out.printf(Locale.ROOT, "study took %.0f s%n", (System.nanoTime() - start) / 1e9);
  }

  /** The teacher saved under {@code dir}, or a new one trained and saved there. */
  private static TrainedModel teacher(Recipes recipes, Path dir, ImageDataset train, Hyperparameters hp) throws java.io.IOException {
    if (Files.isRegularFile(dir.resolve(TrainedModel.RECORD_FILE))) {
      return TrainedModel.load(dir);
    }
    TrainedModel teacher = recipes.fromScratch("teacher", Architectures.cnnTeacher(train.classes()), train, hp);
    teacher.save(dir);
    return teacher;
  }

  /** Marks the points no other point beats on both accuracy and throughput. */
  static List<Point> markPareto(List<Point> points) {
    List<Point> out = new ArrayList<>();
    for (Point p : points) {
      boolean dominated = points.stream().anyMatch(q -> q != p
          && q.figures().accuracy() >= p.figures().accuracy() && q.figures().samplesPerSecond() >= p.figures().samplesPerSecond()
          && (q.figures().accuracy() > p.figures().accuracy() || q.figures().samplesPerSecond() > p.figures().samplesPerSecond()));
      out.add(new Point(p.arch(), p.parameters(), p.trainSeconds(), p.figures(), p.speedupOverFp32(), p.auto(), !dominated));
    }
    return out;
  }

  static String table(List<Point> points) {
    StringBuilder sb = new StringBuilder(
        "| architecture | params | plan | accuracy | agreement | samples/s (median) | samples/s (min) | x own fp32 | auto | Pareto |\n"
            + "|---|---|---|---|---|---|---|---|---|---|\n");
    for (Point p : points) {
      PlanFigures f = p.figures();
      sb.append(String.format(Locale.ROOT, "| %s | %,d | %s | %.2f%% | %.2f%% | %,.0f | %,.0f | %.2fx | %s | %s |%n", p.arch(),
          p.parameters(), f.plan(), 100 * f.accuracy(), 100 * f.agreement(), f.samplesPerSecond(), f.minSamplesPerSecond(),
          p.speedupOverFp32(), p.auto() ? "auto" : "", p.pareto() ? "front" : ""));
    }
    return sb.toString();
  }

  private static void writeResults(Path out, List<Point> points, String dataset, HostProfile host, int epochs, long start)
      throws java.io.IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("dataset", dataset);
    json.put("host", host.key());
    json.put("studentEpochs", epochs);
    json.put("temperature", TEMPERATURE);
    json.put("alpha", ALPHA);
    json.put("seconds", (System.nanoTime() - start) / 1e9);
    json.put("points", points);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("pareto.json").toFile(), json);
    Files.writeString(out.resolve("pareto.md"), table(points));
  }
}
