package dev.osprey.core.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.config.MetricsSettings;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * A tiny HTTP endpoint serving {@code GET /metrics} (Prometheus text format) and {@code GET /health}
 * for services that have no HTTP server of their own (ingest, trainer). Uses the JDK's HTTP server
 * so core needs no web framework. Binds loopback unless configured otherwise.
 */
public final class MetricsServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  /**
   * @param healthy reported by {@code /health} (200 when true, 503 otherwise)
   * @throws IOException if the address cannot be bound
   */
  public MetricsServer(MetricsSettings settings, PrometheusMeterRegistry registry, BooleanSupplier healthy)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(settings.host(), Math.max(settings.port(), 0)), 16);
    executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "osprey-metrics-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/metrics", ex -> {
      if (!"GET".equals(ex.getRequestMethod())) {
        respond(ex, 405, "text/plain", "method not allowed\n");
        return;
      }
      respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
    });
    server.createContext("/health", ex -> {
      boolean ok = healthy.getAsBoolean();
      respond(ex, ok ? 200 : 503, "application/json", ok ? "{\"status\":\"UP\"}\n" : "{\"status\":\"DOWN\"}\n");
    });
    server.start();
  }

  private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** The bound port (useful when configured with 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
