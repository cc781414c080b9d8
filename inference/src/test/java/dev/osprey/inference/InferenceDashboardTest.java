package dev.osprey.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.model.serving.StubPredictor;
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

/** Every inference metric the Grafana dashboard queries exists, by that exact name, in a real scrape of {@link InferenceMetrics}. */
class InferenceDashboardTest {
  private static final Path DASHBOARD = Path.of("..", "dashboards", "grafana", "dashboards", "osprey-inference.json");
  private static final Pattern METRIC = Pattern.compile("\\b(osprey_inference_[a-z0-9_]+)");

  @Test
  void everyQueriedMetricIsExported() throws Exception {
    var registry = PrometheusMetrics.newRegistry("inference");
    InferenceMetrics metrics = new InferenceMetrics(registry);
    metrics.modelCall(3, 64, 2_000_000, 1_500_000);
    metrics.endToEnd(3, 12);
    metrics.prediction(3, "7", 0.97);
    ServingMetrics serving = new ServingMetrics(registry, InferenceMetrics.PREFIX);
    serving.swap(SwapOutcome.SUCCESS);
    metrics.deadLetter("not-json");
    metrics.transaction("committed");
    metrics.httpRequest("/v1/predict", 200);
    metrics.consumerLag(5);
    serving.serving(StubPredictor.loaded(3, new StubPredictor()));
    String scrape = registry.scrape();

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
      assertTrue(scrape.contains("\n" + name + "{"), name + " is queried but not exported:\n" + scrape);
    }
    assertEquals(Set.of(
        "osprey_inference_batch_size_samples_count", "osprey_inference_batch_size_samples_sum",
        "osprey_inference_confidence_bucket", "osprey_inference_confidence_count", "osprey_inference_confidence_sum",
        "osprey_inference_consumer_lag_records", "osprey_inference_dead_letters_total",
        "osprey_inference_end_to_end_latency_seconds_bucket", "osprey_inference_http_requests_total",
        "osprey_inference_model_cpu_seconds_total", "osprey_inference_model_info",
        "osprey_inference_model_latency_seconds_bucket", "osprey_inference_model_latency_seconds_sum",
        "osprey_inference_model_swaps_total", "osprey_inference_predictions_total",
        "osprey_inference_transactions_total"), referenced);
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
