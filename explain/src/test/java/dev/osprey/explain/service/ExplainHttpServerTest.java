package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.SlowHttpClients;
import dev.osprey.core.event.Sample;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.explain.Method;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The explain service's HTTP server alone (no Kafka, no model) against slow and idle clients. */
class ExplainHttpServerTest {
  /** The server's view of a service that is up and has explained nothing yet. */
  private record Idle(ExplanationStore store, MeterRegistry meters) implements ExplainHttpServer.Backend {
    @Override
    public CompletableFuture<SampleExplainer.Result> explain(Sample sample, int version, List<Method> methods) {
      return CompletableFuture.failedFuture(new IllegalStateException("no model in this test"));
    }

    @Override
    public String problem() {
      return null;
    }
  }

  @Test
  void staysResponsiveWithThreeHundredIdleAndTenHalfSentClients() throws Exception {
    ExplainConfig config = ExplainConfig.of("digits").withHttp("127.0.0.1", 0);
    try (ExplainHttpServer http = new ExplainHttpServer(config,
            new Idle(new ExplanationStore(10), PrometheusMetrics.newRegistry("explain")))) {
      http.start();
      try (SlowHttpClients clients = new SlowHttpClients(http.port())) {
        clients.open(300, 10, "/v1/explain");
        double slowest = clients.getAll(List.of("/metrics", "/health", "/metrics"),
            Duration.ofSeconds(1));
        assertTrue(slowest < 1.0, "slowest answer " + slowest + " s");
      }
    }
  }
}
