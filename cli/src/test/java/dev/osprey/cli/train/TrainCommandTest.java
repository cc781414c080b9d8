package dev.osprey.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.cli.OspreyCommand;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.publish.PublishedNetwork;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.trainer.Evaluator;
import dev.osprey.trainer.TrainedModel;
import dev.osprey.trainer.pipeline.ModelPackager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code osprey train student} then {@code osprey evaluate} on the fixture, through picocli. */
class TrainCommandTest {
  static {
    DjlOfflineGuard.install();
  }

  @Test
  void trainsEvaluatesAndPublishesAStudent(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("student");
    Path registry = dir.resolve("registry");
    int rc = OspreyCommand.newCommandLine().execute("train", "student", "--dataset", "fixture:train", "--epochs", "1",
        "--batch-size", "64", "--lr", "0.003", "--threads", "2", "--seed", "11", "--test-dataset", "fixture:test", "--out", model.toString(),
        "--publish", "digits", "--registry", registry.toString(), "--calibration-samples", "300");
    assertEquals(0, rc);
    assertTrue(Files.isRegularFile(model.resolve(TrainedModel.RECORD_FILE)));
    assertTrue(Files.isRegularFile(model.resolve(TrainedModel.CURVES_FILE)));
    JsonNode trained = new ObjectMapper().readTree(model.resolve(Evaluator.REPORT_JSON).toFile());
    assertTrue(trained.get("accuracy").asDouble() > 0.9, "fixture:test accuracy " + trained.get("accuracy"));

    Path eval = dir.resolve("eval");
    rc = OspreyCommand.newCommandLine().execute("evaluate", "--model", model.toString(), "--reference", model.toString(),
        "--test-dataset", "fixture:test", "--out", eval.toString());
    assertEquals(0, rc);
    JsonNode report = new ObjectMapper().readTree(eval.resolve(Evaluator.REPORT_JSON).toFile());
    assertEquals(1.0, report.get("agreement").asDouble(), 0.0);
    assertEquals(trained.get("errors").asInt(), report.get("errors").asInt());
    assertEquals(1000, report.get("count").asInt());
    assertTrue(Files.size(eval.resolve(Evaluator.REPORT_PNG)) > 5_000);

    // --publish made version 1; publishing the directory again makes version 2 with 1 as parent
    rc = OspreyCommand.newCommandLine().execute("models", "publish", model.toString(), "--name", "digits",
        "--registry", registry.toString(), "--calibration-method", "minmax", "--calibration-samples", "300");
    assertEquals(0, rc);
    ModelRegistry reg = new ModelRegistry(registry);
    ModelManifest v1 = reg.load("digits", 1).manifest();
    ModelManifest v2 = reg.load("digits", 2).manifest();
    assertEquals(null, v1.parentVersion());
    assertEquals(1, v2.parentVersion());
    assertEquals("student", v1.lineage().recipe());
    assertEquals(11, v1.lineage().seed());
    assertTrue(v1.calibration().startsWith("entropy on 300 of fixture:train"), v1.calibration());
    assertTrue(v2.calibration().startsWith("minmax on 300 of fixture:train"), v2.calibration());
    // the reference defaults to the test split, the same data evaluate used: same fp32 errors
    assertEquals(1 - trained.get("errors").asInt() / 1000.0, v1.metrics().get(ModelPackager.ACCURACY_FP32), 1e-9);
    assertTrue(v1.metrics().get(ModelPackager.AGREEMENT) >= 0.98, v1.metrics().toString());
    assertEquals(Architectures.defaultStudent(10), PublishedNetwork.spec(reg.load("digits", 1)));
  }

  @Test
  void rejectsUnknownArchitecture(@TempDir Path dir) {
    int rc = OspreyCommand.newCommandLine().execute("train", "teacher", "--arch", "resnet", "--out", dir.toString());
    assertTrue(rc != 0);
  }
}
