package dev.osprey.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.SlowHttpClients;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.metrics.PrometheusMetrics;
import dev.osprey.core.service.Health;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ActivationPublisher;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.serving.ModelServing;
import dev.osprey.model.serving.ServingMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP server alone (no Kafka, no model): slow and idle clients, and the admin token's scheme. */
class InferenceHttpServerTest {
  private static final String TOKEN = "0123456789abcdef-token";

  @TempDir Path tmp;
  private final List<AutoCloseable> open = new ArrayList<>();
  private SlowHttpClients clients;

  private InferenceHttpServer server(Duration idle, Duration request) {
    InferenceConfig config = InferenceConfig.of("digits").withHttp("127.0.0.1", 0, TOKEN);
    PrometheusMeterRegistry meters = PrometheusMetrics.newRegistry("inference");
    ModelRegistry registry = new ModelRegistry(tmp.resolve("registry"));
    Topics topics = Topics.defaults();
    ModelServing serving = new ModelServing("digits", config.serving(), registry, topics, new MockConsumer<>("earliest"),
        new ServingMetrics(meters, InferenceMetrics.PREFIX), Duration.ofSeconds(1), Clock.systemUTC());
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", "127.0.0.1:9"); // never reached: the registry has no version to activate
    ActivationPublisher publisher = new ActivationPublisher(registry, topics, kafka, Clock.systemUTC());
    PredictRequests nothing = samples -> CompletableFuture.failedFuture(new PredictRequests.UnavailableException("no model"));
    InferenceHttpServer http = new InferenceHttpServer(config, nothing, serving, publisher,
        () -> Health.of(Health.Status.READY), new InferenceMetrics(meters), new EventCodec(), idle, request);
    open.add(serving);
    open.add(publisher);
    open.add(http);
    http.start();
    clients = new SlowHttpClients(http.port());
    open.add(clients);
    return http;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void staysResponsiveWithIdleAndHalfSentClients() throws Exception {
    server(InferenceHttpServer.DEFAULT_IDLE_TIMEOUT, InferenceHttpServer.DEFAULT_REQUEST_TIMEOUT);
    clients.open(300, 10, "/v1/predict");
    double slowest = clients.getAll(List.of("/metrics", "/health", "/metrics"), Duration.ofSeconds(1));
    assertTrue(slowest < 1.0, "slowest answer " + slowest + " s");
  }

  /** Before the fix, every one of these connections stayed open for as long as the client liked. */
  @Test
  void idleAndIncompleteConnectionsAreClosed() throws Exception {
    server(Duration.ofMillis(1500), Duration.ofMillis(800));
    List<Socket> watched = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      watched.add(clients.connect(""));
      watched.add(clients.connect(SlowHttpClients.HALF_HEADERS));
      watched.add(clients.connect(SlowHttpClients.halfBody("/v1/predict")));
    }
    // A keep-alive connection that finished a request and then idles.
    Socket keepAlive = clients.connect("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    watched.add(keepAlive);
    long start = System.nanoTime();
    for (Socket s : watched) {
      assertTrue(SlowHttpClients.closedByServer(s, s == keepAlive), "connection " + watched.indexOf(s) + " still open");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(seconds < 6, "closing took " + seconds + " s");
  }

  @Test
  void theBearerSchemeIsCaseInsensitive() throws Exception {
    assertEquals(TOKEN, InferenceHttpServer.bearerToken("bearer " + TOKEN));
    assertEquals(TOKEN, InferenceHttpServer.bearerToken("BEARER   " + TOKEN + " "));
    assertEquals("", InferenceHttpServer.bearerToken("Basic " + TOKEN));
    assertEquals("", InferenceHttpServer.bearerToken(TOKEN));
    InferenceHttpServer http = server(InferenceHttpServer.DEFAULT_IDLE_TIMEOUT, InferenceHttpServer.DEFAULT_REQUEST_TIMEOUT);
    HttpClient client = HttpClient.newHttpClient();
    URI activate = URI.create("http://127.0.0.1:" + http.port() + "/v1/models/1/activate");
    var accepted = client.send(HttpRequest.newBuilder(activate).header("Authorization", "bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    // past the token check: the registry has no version 1
    assertEquals(404, accepted.statusCode(), accepted.body());
    assertTrue(accepted.body().contains("unknown-version"), accepted.body());
    var refused = client.send(HttpRequest.newBuilder(activate).header("Authorization", "bearer wrong-token-000000")
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, refused.statusCode());
  }
}
