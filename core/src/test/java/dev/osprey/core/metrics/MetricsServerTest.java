package dev.osprey.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.config.MetricsSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

  /** 300 idle connections and 10 half-sent requests must not delay a scrape or a health probe. */
  @Test
  void staysResponsiveWithIdleAndHalfSentClients() throws Exception {
    var registry = PrometheusMetrics.newRegistry("test");
    List<Socket> sockets = new ArrayList<>();
    try (MetricsServer server = new MetricsServer(new MetricsSettings("127.0.0.1", 0), registry, () -> true)) {
      for (int i = 0; i < 300; i++) {
        sockets.add(new Socket("127.0.0.1", server.port()));
      }
      for (int i = 0; i < 10; i++) {
        Socket s = new Socket("127.0.0.1", server.port());
        OutputStream out = s.getOutputStream();
        out.write(("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        sockets.add(s);
      }
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      String base = "http://127.0.0.1:" + server.port();
      for (String path : List.of("/metrics", "/health", "/metrics")) {
        long start = System.nanoTime();
        var res = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(1)).build(),
            HttpResponse.BodyHandlers.ofString());
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(200, res.statusCode(), path);
        assertTrue(seconds < 1.0, path + " took " + seconds + " s");
      }
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
