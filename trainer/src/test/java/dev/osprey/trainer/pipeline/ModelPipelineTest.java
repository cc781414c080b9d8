package dev.osprey.trainer.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.trainer.Evaluator;
import dev.osprey.trainer.Hyperparameters;
import dev.osprey.trainer.TrainedModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's birth end to end on a small slice of the fixture: a teacher trained, saved, evaluated
 * and published; a student distilled from it (as a directory and as a registry version) and
 * published, whose lineage names both teachers; the same directory published again.
 */
class ModelPipelineTest {
  static {
    DjlOfflineGuard.install();
    System.setProperty("ai.djl.pytorch.num_threads", "2");
  }

  @TempDir Path dir;

  @Test
  void trainsSavesEvaluatesPublishesAndRecordsWhereAStudentsKnowledgeCameFrom() throws Exception {
    Datasets datasets = new Datasets(dir);
    ImageDataset train = datasets.load("fixture:train").slice(0, 2000);
    ImageDataset test = datasets.load("fixture:test");
    ModelRegistry registry = new ModelRegistry(dir.resolve("registry"));
    List<String> log = new ArrayList<>();
    ModelPipeline pipeline = new ModelPipeline(registry, datasets, log::add, ModelPackagerTest.QUICK_PLANNING);
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(1).withBatchSize(50).withValidationCount(200).withLearningRate(3e-3f).withSeed(5);
    // the slice has no ":test" sibling, so name the reference and calibration sets
    ModelPipeline.Publication minmax = new ModelPipeline.Publication("teacher", "fixture:test", "fixture:train", 200,
        CalibrationMethod.MINMAX, null);

    Path teacherDir = dir.resolve("teacher");
    ModelPipeline.Born teacher = pipeline.run(ModelPipeline.Plan
        .train(recipes -> recipes.fromScratch("teacher", Architectures.cnnStudent(10), train, hp))
        .optSaveTo(teacherDir).optEvaluateOn(test).optPublish(minmax));
    assertEquals(1000, teacher.evaluation().count());
    assertTrue(teacher.evaluation().accuracy() > 0.7, "1 epoch on 1,800 images: " + teacher.evaluation().accuracy());
    assertTrue(Files.isRegularFile(teacherDir.resolve(TrainedModel.RECORD_FILE)));
    assertTrue(Files.size(teacherDir.resolve(Evaluator.REPORT_PNG)) > 5_000);
    // the in-memory DJL evaluation and the published fp32 ONNX graph agree on the same data
    assertEquals(teacher.evaluation().accuracy(), teacher.published().accuracyFp32(), 1e-9);
    assertEquals(ModelRef.of("teacher", 1), teacher.published().version().ref());
    assertEquals(List.of("cnn-student (teacher): ", "saved to ", "fixture:test: accuracy ", "  export fp32 ONNX",
        "  quantize int8 (minmax, 200 samples) and plan 64-sample batches on this host", "  plans ", "  measure on fixture:test (1000 samples)",
        "  publish teacher", "published teacher:1: fixture:test accuracy int8 ", "precision=auto on this host serves "),
        log.stream().filter(line -> !line.startsWith("  plan: ")).map(ModelPipelineTest::prefix).toList());

    Lineage.Teacher fromDirectory = Lineage.Teacher.ofDirectory("teacher",
        ModelRegistry.sha256(teacherDir.resolve(TrainedModel.PARAMS_PREFIX + "-0000.params")));
    Path studentDir = dir.resolve("student");
    ModelPipeline.Born student = pipeline.run(ModelPipeline.Plan.train(recipes -> {
      try (Teachers teachers = new Teachers().addDirectory(teacherDir).addVersion(registry, ModelRef.parse("teacher"))) {
        return recipes.distill(Architectures.cnnStudent(10), train, hp, teachers.list(), 4f, 0.1f);
      }
    }).optSaveTo(studentDir).optPublish(new ModelPipeline.Publication("student", "fixture:test", "fixture:train", 200,
        CalibrationMethod.MINMAX, null)));
    assertNull(student.evaluation());
    List<Lineage.Teacher> expected = List.of(fromDirectory, Lineage.Teacher.of(ModelRef.of("teacher", 1)));
    assertEquals(expected, student.record().teachers());
    ModelManifest m = registry.load("student", 1).manifest();
    assertEquals("distill", m.lineage().recipe());
    assertEquals(expected, m.lineage().teachers());
    assertEquals(1800L, m.lineage().dataCounts().get(train.name()));
    assertEquals(200L, m.lineage().dataCounts().get(train.name() + " (validation)"));
    assertTrue(m.metrics().get(ModelPackager.ACCURACY) > 0.6, m.metrics().toString());
    String json = Files.readString(registry.load("student", 1).directory().resolve("manifest.json"), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"teachers\" : [ {\n      \"name\" : \"teacher\",\n      \"paramsSha256\" : \"" + fromDirectory.paramsSha256()
        + "\"\n    }, \"teacher:1\" ]"), json);
    assertTrue(!json.contains(dir.toString()), "no machine path in the manifest");

    // the saved directory publishes again (osprey models publish): same record, the next version with parent 1
    ModelPipeline.Born again = pipeline.run(ModelPipeline.Plan.fromDirectory(studentDir)
        .optPublish(new ModelPipeline.Publication("student", "fixture:test", "fixture:train", 200, CalibrationMethod.MINMAX, null)));
    ModelVersion v2 = again.published().version();
    assertEquals(2, v2.manifest().version());
    assertEquals(1, v2.manifest().parentVersion());
    assertEquals(expected, v2.manifest().lineage().teachers());
    assertEquals(m.architecture(), v2.manifest().architecture());
    assertEquals(m.metrics().get(ModelPackager.ACCURACY_FP32), v2.manifest().metrics().get(ModelPackager.ACCURACY_FP32), 0.0);
  }

  @Test
  void aPlanThatPublishesNeedsARegistry() {
    ModelPipeline noRegistry = new ModelPipeline(null, new Datasets(dir), line -> {});
    var e = assertThrows(IllegalStateException.class, () -> noRegistry.run(ModelPipeline.Plan.fromDirectory(dir)
        .optPublish(ModelPipeline.Publication.of("digits"))));
    assertTrue(e.getMessage().contains("no registry"), e.getMessage());
    assertEquals("mnist:test", ModelPipeline.testSplitOf("mnist:train"));
    assertEquals("fixture:train[0:10]", ModelPipeline.testSplitOf("fixture:train[0:10]"));
  }

  /** A progress line up to its first figure or path. */
  private static String prefix(String line) {
    for (String stop : List.of("cnn-student (teacher): ", "saved to ", "fixture:test: accuracy ", "published teacher:1: fixture:test accuracy int8 ",
        "  plans ", "precision=auto on this host serves ")) {
      if (line.startsWith(stop)) {
        return stop;
      }
    }
    return line;
  }
}
