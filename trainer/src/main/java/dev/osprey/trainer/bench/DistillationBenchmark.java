package dev.osprey.trainer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.DatasetSchema;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.runtime.PredictorException;
import dev.osprey.model.runtime.PyTorchPredictor;
import dev.osprey.trainer.EvaluationReport;
import dev.osprey.trainer.Evaluator;
import dev.osprey.trainer.Hyperparameters;
import dev.osprey.trainer.Recipes;
import dev.osprey.trainer.TrainedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Hinton-style distillation benchmark on full MNIST: a teacher, a student on hard labels, and the
 * same student distilled at several temperatures with the same epochs, batch size, LR and seed.
 * Reports test errors out of 10,000 beside Hinton et al. (2015)'s 67 / 146 / 74 and writes every
 * trained model directory plus {@code results.json} and {@code results.md} under the output dir.
 */
public final class DistillationBenchmark {

  /**
   * @param dataDir directory holding {@code mnist/} IDX files
   * @param out directory for the trained models and results
   * @param family "cnn" (cnn-teacher / cnn-student) or "mlp" (1200-1200 / 800-800)
   * @param teacherEpochs epochs for the teacher
   * @param studentEpochs epochs for every student (the shared budget)
   * @param temperatures distillation temperatures
   * @param alpha weight of the hard-label term
   * @param seed shared seed
   * @param reuseTeacher load {@code out/<teacher>} if it exists instead of training it
   */
  public record Config(
      Path dataDir, Path out, String family, int teacherEpochs, int studentEpochs, List<Float> temperatures,
      float alpha, int batchSize, int seed, boolean reuseTeacher) {
    public Config {
      if (!family.equals("cnn") && !family.equals("mlp")) {
        throw new IllegalArgumentException("family must be cnn or mlp, got " + family);
      }
      if (teacherEpochs <= 0 || studentEpochs <= 0) {
        throw new IllegalArgumentException("epochs must be > 0, got " + teacherEpochs + "/" + studentEpochs);
      }
      temperatures = List.copyOf(temperatures);
    }
  }

  /** One row of the results table. */
  public record Row(String model, String recipe, Float temperature, int epochs, int testErrors, double testAccuracy, double trainSeconds, String dir) {}

  private final Config config;

  public DistillationBenchmark(Config config) {
    this.config = config;
  }

  public List<Row> run() throws IOException, PredictorException {
    DjlOfflineGuard.install();
    Datasets datasets = new Datasets(config.dataDir());
    ImageDataset train = datasets.load("mnist:train");
    ImageDataset test = datasets.load("mnist:test");
    Recipes recipes = new Recipes(true);
    Evaluator evaluator = new Evaluator(DatasetSchema.of(test).input(), 500);
    boolean cnn = config.family().equals("cnn");
    NetworkSpec teacherSpec = cnn ? Architectures.cnnTeacher(10) : Architectures.mlpTeacher(10);
    NetworkSpec studentSpec = cnn ? Architectures.cnnStudent(10) : Architectures.mlpStudent(10);
    Hyperparameters base = Hyperparameters.defaults().withBatchSize(config.batchSize()).withSeed(config.seed())
        .withValidationCount(5000).withLabelSmoothing(0f);
    // The teacher is regularized like Hinton's (jitter); students get no augmentation at all.
    Hyperparameters teacherHp = base.withEpochs(config.teacherEpochs()).withAugmentation(2, 0f);
    Hyperparameters studentHp = base.withEpochs(config.studentEpochs());
    Files.createDirectories(config.out());
    List<Row> rows = new ArrayList<>();

    Path teacherDir = config.out().resolve(teacherSpec.name());
    TrainedModel teacher;
    double teacherSeconds;
    if (config.reuseTeacher() && Files.isRegularFile(teacherDir.resolve(TrainedModel.RECORD_FILE))) {
      teacher = TrainedModel.load(teacherDir);
      teacherSeconds = teacher.record().seconds();
    } else {
      teacher = recipes.fromScratch("teacher", teacherSpec, train, teacherHp);
      teacher.save(teacherDir);
      teacherSeconds = teacher.record().seconds();
    }
    try (teacher; PyTorchPredictor teacherLogits = teacher.network().newPredictor()) {
      Recipes.Teacher asTeacher = new Recipes.Teacher(teacherLogits, TrainedModel.teacherIdentity(teacherDir));
      rows.add(row(evaluator, teacher, test, "teacher", null, config.teacherEpochs(), teacherSeconds, teacherDir));
      log(rows.get(rows.size() - 1));
      Path hardDir = config.out().resolve(studentSpec.name() + "-hard");
      try (TrainedModel s = recipes.fromScratch("student", studentSpec, train, studentHp)) {
        s.save(hardDir);
        rows.add(row(evaluator, s, test, "hard labels", null, config.studentEpochs(), s.record().seconds(), hardDir));
        log(rows.get(rows.size() - 1));
      }
      for (float temperature : config.temperatures()) {
        Path dir = config.out().resolve(studentSpec.name() + "-distill-T" + fmt(temperature));
        try (TrainedModel s = recipes.distill(studentSpec, train, studentHp, List.of(asTeacher), temperature, config.alpha())) {
          s.save(dir);
          rows.add(row(evaluator, s, test, "distilled", temperature, config.studentEpochs(), s.record().seconds(), dir));
          log(rows.get(rows.size() - 1));
        }
        writeResults(rows);
      }
    }
    writeResults(rows);
    return rows;
  }

  private Row row(Evaluator evaluator, TrainedModel model, ImageDataset test, String recipe, Float temperature, int epochs, double seconds, Path dir)
      throws PredictorException {
    EvaluationReport report;
    try (PyTorchPredictor predictor = model.network().newPredictor()) {
      report = evaluator.evaluate(predictor, test, null);
    }
    return new Row(model.record().spec().name(), recipe, temperature, epochs, report.errors(), report.accuracy(), seconds, dir.toString());
  }

  private void writeResults(List<Row> rows) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("config", config.toString());
    json.put("threads", System.getProperty("ai.djl.pytorch.num_threads"));
    json.put("cores", Runtime.getRuntime().availableProcessors());
    json.put("rows", rows);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(config.out().resolve("results.json").toFile(), json);
    Files.writeString(config.out().resolve("results.md"), table(rows));
  }

  /** The results as a Markdown table. */
  public static String table(List<Row> rows) {
    StringBuilder sb = new StringBuilder("| model | training | T | epochs | test errors / 10,000 | test accuracy | train time (s) |\n|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %d | %.2f%% | %.0f |%n", r.model(), r.recipe(),
          r.temperature() == null ? "-" : fmt(r.temperature()), r.epochs(), r.testErrors(), 100 * r.testAccuracy(), r.trainSeconds()));
    }
    return sb.toString();
  }

  private static String fmt(float t) {
    return t == Math.rint(t) ? Integer.toString((int) t) : Float.toString(t);
  }

  private static void log(Row r) {
    System.out.printf(Locale.ROOT, "RESULT %s %s T=%s: %d test errors (%.2f%%), %.0f s%n", r.model(), r.recipe(), r.temperature(), r.testErrors(), 100 * r.testAccuracy(), r.trainSeconds());
  }

  /** Runs with defaults: {@code DATA_DIR OUT_DIR [family] [teacherEpochs] [studentEpochs]}. */
  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    if (args.length < 2) {
      System.err.println("usage: DistillationBenchmark DATA_DIR OUT_DIR [cnn|mlp] [teacherEpochs] [studentEpochs]");
      System.exit(2);
    }
    Config config = new Config(Path.of(args[0]), Path.of(args[1]), args.length > 2 ? args[2] : "cnn",
        args.length > 3 ? Integer.parseInt(args[3]) : 5, args.length > 4 ? Integer.parseInt(args[4]) : 5,
        List.of(1f, 4f, 10f, 20f), 0.1f, 128, 42, true);
    System.out.println(table(new DistillationBenchmark(config).run()));
  }
}
