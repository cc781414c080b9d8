package dev.osprey.core.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.config.MetricsSettings;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A tiny HTTP endpoint serving {@code GET /metrics} (Prometheus text format) and {@code GET /health}
 * for services that have no HTTP server of their own (ingest, trainer). Uses the JDK's HTTP server
 * so core needs no web framework. Binds loopback unless configured otherwise.
 *
 * <p>A slow client must not silence the scrape: the JDK server reads a request on a worker thread, so
 * one connection that sends half a request holds that thread until it gives up. Requests therefore
 * run on a pool that grows to {@link #MAX_WORKERS} threads, and the JDK server's own timers close a
 * connection whose request or response takes longer than {@link #MAX_REQUEST_SECONDS} (and idle
 * keep-alive connections after {@link #IDLE_SECONDS}). Those timers are JVM-wide system properties read
 * once, when the JDK server first loads; they are set here unless the operator set them already.
 */
public final class MetricsServer implements AutoCloseable {
  /** Concurrent requests served before new ones wait; far above what Prometheus and a probe need. */
  public static final int MAX_WORKERS = 128;
  /** A request (or response) taking longer than this is cut off by the JDK server. */
  public static final int MAX_REQUEST_SECONDS = 10;
  /** Keep-alive connections idle this long are closed. */
  public static final int IDLE_SECONDS = 30;

  static {
    System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", String.valueOf(MAX_REQUEST_SECONDS));
    System.getProperties().putIfAbsent("sun.net.httpserver.maxRspTime", String.valueOf(MAX_REQUEST_SECONDS));
    System.getProperties().putIfAbsent("sun.net.httpserver.idleInterval", String.valueOf(IDLE_SECONDS));
  }

  private final HttpServer server;
  private final ThreadPoolExecutor executor;

  /**
   * @param healthy reported by {@code /health} (200 when true, 503 otherwise)
   * @throws IOException if the address cannot be bound
   */
  public MetricsServer(MetricsSettings settings, PrometheusMeterRegistry registry, BooleanSupplier healthy)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(settings.host(), Math.max(settings.port(), 0)), 64);
    AtomicInteger threads = new AtomicInteger();
    // A hand-off queue: each request gets a thread at once (up to MAX_WORKERS), so a stalled client
    // never queues a scrape behind it; idle threads end after a minute.
    executor = new ThreadPoolExecutor(0, MAX_WORKERS, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "osprey-metrics-http-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, (task, pool) -> {
      // Saturated by stalled clients: wait for a free worker rather than fail the dispatcher.
      try {
        pool.getQueue().put(task);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
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
