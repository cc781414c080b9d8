package dev.osprey.trainer.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.event.GateDecision;
import dev.osprey.core.metrics.PrometheusMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The retraining dashboard and the trainer's alerts query trainer metrics by name: each must exist
 * in a real scrape of {@link TrainerMetrics}; promtool's unit tests of the alerts must pass.
 */
class TrainerDashboardTest {
  private static final Path DASHBOARDS = Path.of("..", "dashboards");
  private static final Pattern METRIC = Pattern.compile("\\b(osprey_trainer_[a-z0-9_]+)");

  @Test
  void everyTrainerMetricQueriedExists() throws IOException {
    var registry = PrometheusMetrics.newRegistry("trainer");
    TrainerMetrics metrics = new TrainerMetrics(registry);
    metrics.phase("train", Duration.ofSeconds(3));
    metrics.gate(new GateDecision(false, Map.of("gate.passed", 0.0), "gate refused: label quality: ...",
        List.of("label quality: ..."), List.of()));
    metrics.finished(new dev.osprey.trainer.loop.TrainingRunReport(1, "drift-1", "digits", "drift", "alarm", "fine-tune",
        "refused", 1, 2, "gate refused", List.of(), Map.of(), Map.of(), 1L));
    String scrape = registry.scrape();
    List<String> queries = new ArrayList<>();
    collectExprs(new ObjectMapper().readTree(DASHBOARDS.resolve("grafana/dashboards/osprey-retraining.json").toFile()), queries);
    queries.add(Files.readString(DASHBOARDS.resolve("prometheus/alerts.yml")));
    Set<String> referenced = new TreeSet<>();
    for (String q : queries) {
      Matcher m = METRIC.matcher(q);
      while (m.find()) {
        referenced.add(m.group(1));
      }
    }
    assertTrue(referenced.size() >= 12, referenced.toString());
    for (String name : referenced) {
      assertTrue(scrape.contains("\n" + name + "{"), name + " is queried but not exported:\n" + scrape);
    }
    assertEquals("labels", TrainerMetrics.rule("label quality: on 31.0% of ..."));
    assertEquals("mcnemar", TrainerMetrics.rule("McNemar: the candidate is not significantly better"));
  }

  @Test
  void promtoolUnitTestsOfTheAlertsPass() throws Exception {
    Assumptions.assumeTrue(onPath("promtool"), "promtool not installed (Debian package prometheus)");
    Process p = new ProcessBuilder("promtool", "test", "rules", "alerts_test.yml")
        .directory(DASHBOARDS.resolve("prometheus").toFile()).redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("SUCCESS"), out);
  }

  private static void collectExprs(JsonNode node, List<String> out) {
    if (node.isObject()) {
      node.fields().forEachRemaining(e -> {
        if (e.getKey().equals("expr") && e.getValue().isTextual()) {
          out.add(e.getValue().asText());
        } else {
          collectExprs(e.getValue(), out);
        }
      });
    } else if (node.isArray()) {
      node.forEach(n -> collectExprs(n, out));
    }
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
