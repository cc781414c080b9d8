package dev.osprey.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.cli.OspreyCommand;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.trainer.TrainedModel;
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
  void trainsAndEvaluatesAStudent(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("student");
    int rc = OspreyCommand.newCommandLine().execute("train", "student", "--dataset", "fixture:train", "--epochs", "1",
        "--batch-size", "64", "--lr", "0.003", "--threads", "2", "--seed", "11", "--test-dataset", "fixture:test", "--out", model.toString());
    assertEquals(0, rc);
    assertTrue(Files.isRegularFile(model.resolve(TrainedModel.RECORD_FILE)));
    assertTrue(Files.isRegularFile(model.resolve(TrainedModel.CURVES_FILE)));
    JsonNode trained = new ObjectMapper().readTree(model.resolve(EvaluateCommand.REPORT_JSON).toFile());
    assertTrue(trained.get("accuracy").asDouble() > 0.9, "fixture:test accuracy " + trained.get("accuracy"));

    Path eval = dir.resolve("eval");
    rc = OspreyCommand.newCommandLine().execute("evaluate", "--model", model.toString(), "--reference", model.toString(),
        "--test-dataset", "fixture:test", "--out", eval.toString());
    assertEquals(0, rc);
    JsonNode report = new ObjectMapper().readTree(eval.resolve(EvaluateCommand.REPORT_JSON).toFile());
    assertEquals(1.0, report.get("agreement").asDouble(), 0.0);
    assertEquals(trained.get("errors").asInt(), report.get("errors").asInt());
    assertEquals(1000, report.get("count").asInt());
    assertTrue(Files.size(eval.resolve(EvaluateCommand.REPORT_PNG)) > 5_000);
  }

  @Test
  void rejectsUnknownArchitecture(@TempDir Path dir) {
    int rc = OspreyCommand.newCommandLine().execute("train", "teacher", "--arch", "resnet", "--out", dir.toString());
    assertTrue(rc != 0);
  }
}
