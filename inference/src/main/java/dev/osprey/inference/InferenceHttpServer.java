package dev.osprey.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SampleValidator;
import dev.osprey.core.service.Health;
import dev.osprey.model.registry.ActivationPublisher;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.serving.ModelServing;
import dev.osprey.model.serving.SwapHistory;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API on plain vertx-core (routing by method and path here; no web framework):
 *
 * <ul>
 *   <li>{@code POST /v1/predict}: one sample or a JSON array of samples in the event format; the
 *       answer is one prediction or an array, made by the same batcher and model as the Kafka path;
 *   <li>{@code GET /v1/models}: the model served now and the activations handled;
 *   <li>{@code POST /v1/models/{version}/activate}: admin, {@code Authorization: Bearer <token>};
 *       publishes an activation to the models topic (202);
 *   <li>{@code GET /health} (the loops run), {@code GET /ready} (and a model is loaded),
 *       {@code GET /metrics} (Prometheus text).
 * </ul>
 *
 * Errors are JSON {@code {"error": code, "detail": text}}. Bodies over the configured limit get 413.
 *
 * <p>Slow and idle clients cannot hold connections: a connection with no traffic for the idle
 * timeout is closed, and so is one whose request (headers and body) is not complete within the
 * request timeout. Handlers never block the event loop, so {@code /metrics} and {@code /health}
 * answer whatever other clients do.
 */
final class InferenceHttpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InferenceHttpServer.class);
  private static final Pattern ACTIVATE = Pattern.compile("/v1/models/([^/]+)/activate");
  private static final String JSON = "application/json";
  /** Bytes past the limit read and dropped before an over-long request's connection is closed. */
  private static final long DISCARD_LIMIT = 16L << 20;
  /** A connection without traffic this long is closed (a scraper or a client reconnects). */
  static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
  /** A request must arrive whole (headers and body) within this long of its connection or its start. */
  static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final InferenceConfig config;
  private final PredictRequests predictions;
  private final ModelServing serving;
  private final ActivationPublisher publisher;
  private final Supplier<Health> health;
  private final InferenceMetrics metrics;
  private final EventCodec codec;
  private final ObjectMapper mapper;
  private final byte[] adminToken;
  private final Vertx vertx;
  private final Duration idleTimeout;
  private final Duration requestTimeout;
  // Connections that have sent at least one request's headers; touched on the event loop only.
  private final Set<HttpConnection> started = new HashSet<>();
  private HttpServer server;

  /**
   * @param predictions the batcher predict requests join
   * @param serving the model served and its history ({@code /v1/models})
   * @param publisher publishes the admin endpoint's activations
   * @param health the service's health ({@code /health}, {@code /ready})
   */
  InferenceHttpServer(InferenceConfig config, PredictRequests predictions, ModelServing serving,
      ActivationPublisher publisher, Supplier<Health> health, InferenceMetrics metrics, EventCodec codec) {
    this(config, predictions, serving, publisher, health, metrics, codec, DEFAULT_IDLE_TIMEOUT, DEFAULT_REQUEST_TIMEOUT);
  }

  /** With the given idle and request timeouts (each > 0). */
  InferenceHttpServer(InferenceConfig config, PredictRequests predictions, ModelServing serving,
      ActivationPublisher publisher, Supplier<Health> health, InferenceMetrics metrics, EventCodec codec,
      Duration idleTimeout, Duration requestTimeout) {
    this.idleTimeout = idleTimeout;
    this.requestTimeout = requestTimeout;
    this.config = config;
    this.predictions = predictions;
    this.serving = serving;
    this.publisher = publisher;
    this.health = health;
    this.metrics = metrics;
    this.codec = codec;
    this.mapper = codec.mapper();
    this.adminToken = config.adminToken() == null ? null : config.adminToken().getBytes(StandardCharsets.UTF_8);
    // One event loop is plenty: handlers only parse, queue and answer; the model runs on the prediction loop.
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2)
        .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
  }

  /** Binds and starts serving. */
  void start() {
    try {
      server = vertx.createHttpServer(new HttpServerOptions().setHost(config.httpHost()).setPort(config.httpPort())
              .setIdleTimeout((int) idleTimeout.toMillis()).setIdleTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS))
          .connectionHandler(this::watchConnection)
          .requestHandler(this::handle)
          .listen()
          .await(Duration.ofSeconds(30).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("HTTP server did not bind " + config.httpHost() + ":" + config.httpPort(), e);
    } catch (RuntimeException e) {
      vertx.close();
      throw new IllegalStateException("cannot bind HTTP on " + config.httpHost() + ":" + config.httpPort() + ": "
          + e.getMessage(), e);
    }
  }

  int port() {
    return server.actualPort();
  }

  /** Closes a connection whose first request's headers have not arrived within the request timeout. */
  private void watchConnection(HttpConnection connection) {
    connection.closeHandler(v -> started.remove(connection));
    vertx.setTimer(requestTimeout.toMillis(), id -> {
      if (!started.contains(connection)) {
        connection.close();
      }
    });
  }

  /** Closes the connection if {@code req} has not been read whole within the request timeout. */
  private void watchRequest(HttpServerRequest req) {
    started.add(req.connection());
    if (!req.isEnded()) {
      vertx.setTimer(requestTimeout.toMillis(), id -> {
        if (!req.isEnded()) {
          LOG.debug("closing a connection whose request was not complete within {}", requestTimeout);
          req.connection().close();
        }
      });
    }
  }

  private void handle(HttpServerRequest req) {
    watchRequest(req);
    String path = req.path();
    HttpMethod method = req.method();
    Matcher activate = ACTIVATE.matcher(path);
    switch (path) {
      case "/health" -> get(req, "/health", () -> {
        Health h = health.get();
        json(req, "/health", h.live() ? 200 : 503, h.live() ? object().put("status", "UP")
            : object().put("status", "DOWN").put("detail", h.detail()));
      });
      case "/ready" -> get(req, "/ready", () -> {
        boolean ready = health.get().ready();
        ObjectNode body = object().put("ready", ready);
        serving.current().ifPresent(s -> body.put("model", s.ref().toString()));
        json(req, "/ready", ready ? 200 : 503, body);
      });
      case "/metrics" -> get(req, "/metrics", () -> metrics(req));
      case "/v1/models" -> get(req, "/v1/models", () -> json(req, "/v1/models", 200, models()));
      case "/v1/predict" -> {
        if (method != HttpMethod.POST) {
          error(req, "/v1/predict", 405, "method-not-allowed", "use POST");
        } else {
          withBody(req, "/v1/predict", body -> predict(req, body));
        }
      }
      default -> {
        if (!activate.matches()) {
          error(req, "other", 404, "not-found", "no route " + method + " " + path);
        } else if (method != HttpMethod.POST) {
          error(req, "/v1/models/{version}/activate", 405, "method-not-allowed", "use POST");
        } else {
          withBody(req, "/v1/models/{version}/activate", body -> activate(req, activate.group(1), body));
        }
      }
    }
  }

  private void get(HttpServerRequest req, String route, Runnable answer) {
    if (req.method() != HttpMethod.GET) {
      error(req, route, 405, "method-not-allowed", "use GET");
    } else {
      answer.run();
    }
  }

  private void metrics(HttpServerRequest req) {
    if (metrics.registry() instanceof PrometheusMeterRegistry prometheus) {
      metrics.httpRequest("/metrics", 200);
      req.response().setStatusCode(200).putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
          .end(prometheus.scrape());
    } else {
      error(req, "/metrics", 404, "not-found", "metrics are not kept in a Prometheus registry");
    }
  }

  private ObjectNode models() {
    ObjectNode body = object().put("model", config.modelName());
    serving.current().ifPresentOrElse(s -> {
      ObjectNode n = body.putObject("serving");
      n.put("version", s.ref().version());
      n.put("runtime", s.runtime());
      n.put("requestedRuntime", s.requestedRuntime());
      n.put("precision", s.precision());
      n.put("fallback", s.fallback());
      n.put("loadedAt", s.loadedAt().toString());
      n.set("activation", mapper.valueToTree(s.activation()));
    }, () -> body.putNull("serving"));
    ArrayNode history = body.putArray("history");
    for (SwapHistory.Entry e : serving.history()) {
      ObjectNode n = history.addObject();
      n.put("version", e.version());
      n.put("outcome", e.outcome().code());
      n.put("detail", e.detail());
      n.put("handledAt", e.handledAt().toString());
      if (e.activation() != null) {
        n.set("activation", mapper.valueToTree(e.activation()));
      }
    }
    return body;
  }

  private void predict(HttpServerRequest req, Buffer body) {
    String route = "/v1/predict";
    JsonNode tree;
    try {
      tree = mapper.readTree(body.getBytes());
    } catch (java.io.IOException e) {
      error(req, route, 400, "not-json", "body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
      return;
    }
    boolean many = tree != null && tree.isArray();
    List<JsonNode> nodes = new ArrayList<>();
    if (many) {
      tree.forEach(nodes::add);
    } else if (tree != null) {
      nodes.add(tree);
    }
    if (nodes.isEmpty()) {
      error(req, route, 400, "missing-field", "send one sample object or a non-empty array of samples");
      return;
    }
    List<Sample> samples = new ArrayList<>(nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      try {
        Sample s = codec.decodeSample(mapper.writeValueAsBytes(nodes.get(i)));
        SampleValidator.check(s);
        samples.add(s);
      } catch (InvalidEventException e) {
        rejected(req, route, 400, i, e);
        return;
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        error(req, route, 400, "not-json", e.getOriginalMessage());
        return;
      }
    }
    Context context = vertx.getOrCreateContext();
    predictions.submit(samples).whenComplete((predictions, failure) -> context.runOnContext(v -> {
      if (failure == null) {
        json(req, route, 200, many ? mapper.valueToTree(predictions) : mapper.valueToTree(predictions.get(0)));
        return;
      }
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      if (cause instanceof PredictRequests.RejectedSampleException r) {
        rejected(req, route, 422, r.index(), r.reject());
      } else if (cause instanceof PredictRequests.UnavailableException) {
        error(req, route, 503, "unavailable", cause.getMessage());
      } else {
        error(req, route, 500, "model-error", cause.getMessage());
      }
    }));
  }

  private void activate(HttpServerRequest req, String versionText, Buffer body) {
    String route = "/v1/models/{version}/activate";
    if (adminToken == null) {
      error(req, route, 403, "admin-disabled", "admin endpoints are off: set " + InferenceConfig.KEY_ADMIN_TOKEN);
      return;
    }
    byte[] given = bearerToken(req.getHeader("Authorization")).getBytes(StandardCharsets.UTF_8);
    // constant-time comparison: the response time must not reveal how much of the token matched
    if (!MessageDigest.isEqual(given, adminToken)) {
      req.response().putHeader("WWW-Authenticate", "Bearer");
      error(req, route, 401, "unauthorized", "a valid 'Authorization: Bearer <token>' header is required");
      return;
    }
    int version;
    try {
      version = Integer.parseInt(versionText);
      if (version < 1) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      error(req, route, 400, "invalid-field", "version must be a positive integer, got '" + versionText + "'");
      return;
    }
    String reason = "http admin request";
    if (body.length() > 0) {
      try {
        JsonNode n = mapper.readTree(body.getBytes());
        if (n != null && n.hasNonNull("reason")) {
          reason = n.get("reason").asText();
        }
      } catch (java.io.IOException e) {
        error(req, route, 400, "not-json", "body must be empty or {\"reason\": \"...\"}");
        return;
      }
    }
    String why = reason;
    vertx.executeBlocking(() -> publisher.activate(config.modelName(), version, "http-admin", why), false).onComplete(ar -> {
      if (ar.succeeded()) {
        json(req, route, 202, mapper.valueToTree(ar.result()));
      } else if (ar.cause() instanceof ModelLoadException e) {
        error(req, route, 404, "unknown-version", e.getMessage());
      } else {
        Throwable c = ar.cause() instanceof ExecutionException && ar.cause().getCause() != null ? ar.cause().getCause() : ar.cause();
        LOG.warn("activation of version {} could not be published: {}", version, c.toString());
        error(req, route, 502, "publish-failed", c.toString());
      }
    });
  }

  /** The token of an {@code Authorization: Bearer <token>} header (the scheme is case-insensitive, RFC 7235), or "". */
  static String bearerToken(String authorization) {
    if (authorization == null) {
      return "";
    }
    String a = authorization.strip();
    int space = a.indexOf(' ');
    if (space < 0 || !a.substring(0, space).equalsIgnoreCase("Bearer")) {
      return "";
    }
    return a.substring(space + 1).strip();
  }

  /**
   * Collects the body up to the size limit. A larger body gets 413 at once; the rest of it is read
   * and dropped so the client can read the answer, and the connection is closed if the client
   * keeps sending far past the limit.
   */
  private void withBody(HttpServerRequest req, String route, java.util.function.Consumer<Buffer> then) {
    String length = req.getHeader("Content-Length");
    Buffer body = Buffer.buffer();
    long[] received = {0};
    boolean[] refused = {false};
    if (length != null && tooLarge(length)) {
      refused[0] = true;
      error(req, route, 413, "too-large", "body is " + length + " bytes, limit is " + config.maxRequestBytes());
    }
    req.handler(chunk -> {
      received[0] += chunk.length();
      if (refused[0]) {
        if (received[0] > (long) config.maxRequestBytes() + DISCARD_LIMIT) {
          req.connection().close();
        }
        return;
      }
      if (received[0] > config.maxRequestBytes()) {
        refused[0] = true;
        error(req, route, 413, "too-large", "body exceeds the limit of " + config.maxRequestBytes() + " bytes");
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> {
      if (!refused[0]) {
        then.accept(body);
      }
    });
  }

  private boolean tooLarge(String contentLength) {
    try {
      return Long.parseLong(contentLength.trim()) > config.maxRequestBytes();
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private ObjectNode object() {
    return mapper.createObjectNode();
  }

  private void rejected(HttpServerRequest req, String route, int status, int index, InvalidEventException e) {
    json(req, route, status, object().put("error", e.reason().code()).put("detail", e.detail()).put("index", index));
  }

  private void error(HttpServerRequest req, String route, int status, String code, String detail) {
    json(req, route, status, object().put("error", code).put("detail", detail == null ? "" : detail));
  }

  private void json(HttpServerRequest req, String route, int status, JsonNode body) {
    metrics.httpRequest(route, status);
    req.response().setStatusCode(status).putHeader("Content-Type", JSON).end(body.toString() + "\n");
  }

  @Override
  public void close() {
    try {
      vertx.close().await(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      LOG.warn("Vert.x did not close within 10 s");
    }
  }
}
