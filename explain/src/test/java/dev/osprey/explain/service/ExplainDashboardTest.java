package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.explain.Method;
import dev.osprey.explain.sampling.SkipReason;
import dev.osprey.explain.sampling.Trigger;
import dev.osprey.model.serving.ServingMetrics;
import dev.osprey.model.serving.SwapOutcome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every explain metric the Grafana dashboard queries exists, by that exact name, in a real scrape of {@link ExplainMetrics}. */
class ExplainDashboardTest {
  private static final Path DASHBOARD = Path.of("..", "dashboards", "grafana", "dashboards", "osprey-explain.json");
  private static final Pattern METRIC = Pattern.compile("\\b(osprey_explain_[a-z0-9_]+)");

  @Test
  void everyQueriedMetricIsExported() throws Exception {
    var registry = PrometheusMetrics.newRegistry("explain");
    ExplainMetrics metrics = new ExplainMetrics(registry);
    metrics.joinGauges(() -> 3, () -> 1);
    metrics.sampled(Trigger.SAMPLED);
    metrics.skipped(SkipReason.RATE_LIMITED);
    metrics.explained(Method.INTEGRATED_GRADIENTS, Trigger.LOW_CONFIDENCE, 12.5, 0.002);
    metrics.lag(1_000L, 1_250L);
    metrics.budget(0.05);
    metrics.cpu(7_000_000L);
    ServingMetrics serving = new ServingMetrics(registry, ExplainService.METER_PREFIX);
    serving.swap(SwapOutcome.SUCCESS);
    String scrape = registry.scrape();
    assertTrue(scrape.lines().anyMatch(l -> l.startsWith("osprey_explain_explanations_total{") && l.contains("method=\"ig\"")
        && l.contains("trigger=\"low-confidence\"") && l.endsWith(" 1.0")), scrape);
    assertTrue(scrape.lines().anyMatch(l -> l.startsWith("osprey_explain_skipped_total{")
        && l.contains("reason=\"sample-missing\"") && l.endsWith(" 0.0")), "every reason exported from the start");

    List<String> exprs = new ArrayList<>();
    collect(new ObjectMapper().readTree(DASHBOARD.toFile()), exprs);
    Set<String> referenced = new TreeSet<>();
    for (String e : exprs) {
      Matcher m = METRIC.matcher(e);
      while (m.find()) {
        referenced.add(m.group(1));
      }
    }
    for (String name : referenced) {
      // model_info is registered once a model serves (ServingMetrics#serving), tested in model
      if (!name.equals("osprey_explain_model_info")) {
        assertTrue(scrape.contains("\n" + name + "{") || scrape.contains("\n" + name + " "),
            name + " is queried but not exported:\n" + scrape);
      }
    }
    assertEquals(Set.of(
        "osprey_explain_budget_cores", "osprey_explain_cpu_seconds_total",
        "osprey_explain_completeness_residual_count", "osprey_explain_completeness_residual_max",
        "osprey_explain_completeness_residual_sum", "osprey_explain_duration_seconds_bucket",
        "osprey_explain_explanations_total", "osprey_explain_join_samples", "osprey_explain_join_waiting_outcomes",
        "osprey_explain_lag_seconds_bucket", "osprey_explain_model_info", "osprey_explain_model_swaps_total",
        "osprey_explain_sampled_total", "osprey_explain_skipped_total"), referenced);
  }

  private static void collect(JsonNode node, List<String> out) {
    if (node.isObject()) {
      node.fields().forEachRemaining(e -> {
        if (e.getKey().equals("expr") && e.getValue().isTextual()) {
          out.add(e.getValue().asText());
        } else {
          collect(e.getValue(), out);
        }
      });
    } else if (node.isArray()) {
      node.forEach(n -> collect(n, out));
    }
  }
}
