package dev.osprey.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.event.RejectReason;
import dev.osprey.core.metrics.PrometheusMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboards and Prometheus alerts query ingest metrics by name: every such name must
 * exist in a real scrape of {@link IngestMetrics}, and promtool must accept the config and rules.
 */
class DashboardQueriesTest {
  private static final Path DASHBOARDS = Path.of("..", "dashboards");
  private static final Pattern METRIC = Pattern.compile("\\b(osprey_ingest_[a-z0-9_]+)");

  @Test
  void everyIngestMetricQueriedExists() throws IOException {
    var registry = PrometheusMetrics.newRegistry("ingest");
    IngestMetrics metrics = new IngestMetrics(registry);
    metrics.validated("osprey.samples.raw");
    metrics.rejected("osprey.samples.raw", RejectReason.NOT_JSON);
    String scrape = registry.scrape();

    List<String> queries = new ArrayList<>();
    try (var files = Files.walk(DASHBOARDS.resolve("grafana/dashboards"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
        collectExprs(new ObjectMapper().readTree(f.toFile()), queries);
      }
    }
    queries.add(Files.readString(DASHBOARDS.resolve("prometheus/alerts.yml")));
    Set<String> referenced = new TreeSet<>();
    for (String q : queries) {
      Matcher m = METRIC.matcher(q);
      while (m.find()) {
        referenced.add(m.group(1));
      }
    }
    assertFalse(referenced.isEmpty(), "dashboards query no ingest metric");
    for (String name : referenced) {
      assertTrue(scrape.contains("\n" + name + "{"), name + " is queried but not exported:\n" + scrape);
    }
    assertEquals(Set.of("osprey_ingest_records_rejected_total", "osprey_ingest_records_validated_total"), referenced);
  }

  @Test
  void promtoolAcceptsConfigAndRules() throws Exception {
    Assumptions.assumeTrue(onPath("promtool"), "promtool not installed (Debian package prometheus; .ci/run installs it)");
    Process p = new ProcessBuilder("promtool", "check", "config", DASHBOARDS.resolve("prometheus/prometheus.yml").toString())
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.matches("(?s).*SUCCESS: [1-9][0-9]* rules found.*"), out); // every service adds its own rules
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
