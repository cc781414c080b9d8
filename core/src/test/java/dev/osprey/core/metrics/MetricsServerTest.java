package dev.osprey.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.config.MetricsSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  @Test
  void servesPrometheusTextAndHealth() throws Exception {
    var registry = PrometheusMetrics.newRegistry("test");
    registry.counter("osprey.test.events", "outcome", "ok").increment(3);
    AtomicBoolean healthy = new AtomicBoolean(true);
    try (MetricsServer server = new MetricsServer(new MetricsSettings("127.0.0.1", 0), registry, healthy::get)) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.port();
      var res = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, res.statusCode());
      assertTrue(res.body().contains("osprey_test_events_total{outcome=\"ok\",service=\"test\"} 3.0"), res.body());
      assertTrue(res.body().contains("jvm_memory_used_bytes"));
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      healthy.set(false);
      assertEquals(503, http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
    }
  }
}
