package dev.osprey.cli.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * A real Prometheus server (Debian's {@code prometheus} binary) for tests: scrapes the given
 * targets every second, evaluates the given rule files every second, listens on 127.0.0.1 only.
 */
public final class PrometheusProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final String base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private PrometheusProcess(Process process, int port) {
    this.process = process;
    this.base = "http://127.0.0.1:" + port;
  }

  /** Whether the binary is installed (the CI script installs Debian's prometheus package). */
  public static boolean available() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, "prometheus"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * @param dir working directory (config, TSDB, log)
   * @param targets host:port of every /metrics endpoint
   * @param ruleFiles alert/recording rule files to load
   */
  public static PrometheusProcess start(Path dir, List<String> targets, List<Path> ruleFiles) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String config = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        + "rule_files:\n" + ruleFiles.stream().map(f -> "  - " + f.toAbsolutePath() + "\n").collect(Collectors.joining())
        + "scrape_configs:\n  - job_name: osprey\n    static_configs:\n      - targets: ["
        + targets.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", ")) + "]\n";
    Path yml = Files.writeString(dir.resolve("prometheus.yml"), config);
    Process p = new ProcessBuilder("prometheus", "--config.file=" + yml, "--storage.tsdb.path=" + dir.resolve("tsdb"),
        "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    PrometheusProcess prom = new PrometheusProcess(p, port);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!prom.ready()) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        prom.close();
        throw new IOException("prometheus did not become ready: " + Files.readString(dir.resolve("prometheus.log")));
      }
      LockSupport.parkNanos(100_000_000L);
    }
    return prom;
  }

  private boolean ready() {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Runs an instant query.
   *
   * @return the result array (one element per series); empty when the expression returns no data
   * @throws IOException if Prometheus rejects the expression
   */
  public JsonNode query(String expr) throws IOException, InterruptedException {
    String url = base + "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(r.body());
    if (!"success".equals(body.path("status").asText())) {
      throw new IOException("query failed: " + expr + " -> " + r.body());
    }
    return body.path("data").path("result");
  }

  /** Up-ness of every scrape target, as Prometheus sees it. */
  public JsonNode targets() throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/targets")).build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body()).path("data").path("activeTargets");
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
