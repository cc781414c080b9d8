package dev.osprey.explain.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SampleValidator;
import dev.osprey.explain.Method;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The explain service's HTTP API on plain vertx-core (loopback by default):
 *
 * <ul>
 *   <li>{@code POST /v1/explain[?methods=ig,gradcam&version=N]}: one sample in the event format;
 *       answers its explanations (one per method) as a JSON array, explained by the serving version
 *       (or version N) for its top class; the heatmap is then at {@code GET /v1/explanations/{id}.png};
 *   <li>{@code GET /v1/explanations/{sampleId}}: the last explanations of that sample (JSON array);
 *   <li>{@code GET /v1/explanations/{sampleId}.png}: their heatmap;
 *   <li>{@code GET /health}, {@code GET /metrics}.
 * </ul>
 *
 * Bodies over the limit get 413; idle connections close after the request timeout; an explanation
 * that does not finish within it gets 503. Errors are JSON {@code {"error": code, "detail": text}}.
 */
public final class ExplainHttpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExplainHttpServer.class);
  private static final String EXPLANATIONS = "/v1/explanations/";
  /** Bytes past the limit read and dropped before an over-long request's connection is closed. */
  private static final long DISCARD_LIMIT = 16L << 20;

  /** What the server asks of the service. */
  public interface Backend {
    /** Queues an on-demand explanation (version 0: the serving one). */
    CompletableFuture<SampleExplainer.Result> explain(Sample sample, int version, List<Method> methods);

    ExplanationStore store();

    /** Null when healthy, else why not. */
    String problem();

    MeterRegistry meters();
  }

  private final ExplainConfig config;
  private final Backend backend;
  private final EventCodec codec = new EventCodec();
  private final ObjectMapper mapper = codec.mapper();
  private final Vertx vertx;
  private HttpServer server;

  public ExplainHttpServer(ExplainConfig config, Backend backend) {
    this.config = config;
    this.backend = backend;
    // handlers only parse, queue and answer: the explaining runs on the service's worker thread
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
        .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
  }

  /**
   * Binds and starts serving.
   *
   * @throws IllegalStateException if the address cannot be bound
   */
  public void start() {
    try {
      int idle = (int) Math.max(1, config.requestTimeout().toSeconds());
      server = vertx.createHttpServer(new HttpServerOptions().setHost(config.httpHost()).setPort(config.httpPort())
              .setIdleTimeout(idle).setIdleTimeoutUnit(TimeUnit.SECONDS).setMaxInitialLineLength(4096)
              .setMaxHeaderSize(8192))
          .requestHandler(this::handle)
          .listen()
          .await(30, TimeUnit.SECONDS);
    } catch (TimeoutException | RuntimeException e) {
      vertx.close();
      throw new IllegalStateException("cannot bind HTTP on " + config.httpHost() + ":" + config.httpPort() + ": "
          + e.getMessage(), e);
    }
  }

  public int port() {
    return server.actualPort();
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    if (path.equals("/health")) {
      get(req, () -> {
        String problem = backend.problem();
        json(req, problem == null ? 200 : 503, problem == null ? object().put("status", "UP")
            : object().put("status", "DOWN").put("detail", problem));
      });
    } else if (path.equals("/metrics")) {
      get(req, () -> metrics(req));
    } else if (path.equals("/v1/explain")) {
      if (req.method() != HttpMethod.POST) {
        error(req, 405, "method-not-allowed", "use POST");
      } else {
        withBody(req, body -> explain(req, body));
      }
    } else if (path.startsWith(EXPLANATIONS) && path.length() > EXPLANATIONS.length()) {
      get(req, () -> stored(req, path.substring(EXPLANATIONS.length())));
    } else {
      error(req, 404, "not-found", "no route " + req.method() + " " + path);
    }
  }

  private void get(HttpServerRequest req, Runnable answer) {
    if (req.method() != HttpMethod.GET) {
      error(req, 405, "method-not-allowed", "use GET");
    } else {
      answer.run();
    }
  }

  private void metrics(HttpServerRequest req) {
    if (backend.meters() instanceof PrometheusMeterRegistry prometheus) {
      req.response().setStatusCode(200).putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
          .end(prometheus.scrape());
    } else {
      error(req, 404, "not-found", "metrics are not kept in a Prometheus registry");
    }
  }

  private void stored(HttpServerRequest req, String id) {
    boolean png = id.endsWith(".png");
    String sampleId = png ? id.substring(0, id.length() - 4) : id;
    ExplanationStore.Entry e = backend.store().get(sampleId);
    if (e == null) {
      error(req, 404, "not-found", "no explanation of sample '" + sampleId + "' is kept (the last "
          + config.storedExplanations() + " are)");
    } else if (png && e.png() == null) {
      error(req, 404, "not-found", "the heatmap of '" + sampleId + "' could not be rendered");
    } else if (png) {
      req.response().setStatusCode(200).putHeader("Content-Type", "image/png").end(Buffer.buffer(e.png()));
    } else {
      json(req, 200, mapper.valueToTree(e.explanations()));
    }
  }

  private void explain(HttpServerRequest req, Buffer body) {
    List<Method> methods;
    int version;
    try {
      String m = req.getParam("methods");
      methods = m == null || m.isBlank() ? config.methods() : ExplainConfig.parseMethods(m);
      String v = req.getParam("version");
      version = v == null ? 0 : Integer.parseInt(v);
      if (version < 0) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      error(req, 400, "invalid-field", "version must be a positive integer");
      return;
    } catch (IllegalArgumentException e) {
      error(req, 400, "invalid-field", e.getMessage());
      return;
    }
    Sample sample;
    try {
      sample = codec.decodeSample(body.getBytes());
      SampleValidator.check(sample);
    } catch (InvalidEventException e) {
      json(req, 400, object().put("error", e.reason().code()).put("detail", e.detail()));
      return;
    }
    Context context = vertx.getOrCreateContext();
    backend.explain(sample, version, methods)
        .orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((result, failure) -> context.runOnContext(x -> {
          if (failure != null) {
            Throwable c = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            error(req, 503, c instanceof TimeoutException ? "timeout" : "unavailable", String.valueOf(c.getMessage()));
          } else if (result.skipped() != null) {
            error(req, 422, result.skipped().wireName(), "sample '" + sample.id() + "' was not explained");
          } else {
            json(req, 200, mapper.valueToTree(result.explanations()));
          }
        }));
  }

  /**
   * Collects the body up to the size limit. A larger one gets 413 at once; the rest is read and
   * dropped so the client can read the answer, and the connection is closed if the client keeps
   * sending far past the limit.
   */
  private void withBody(HttpServerRequest req, java.util.function.Consumer<Buffer> then) {
    Buffer body = Buffer.buffer();
    long[] received = {0};
    boolean[] refused = {false};
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
        error(req, 413, "too-large", "body exceeds the limit of " + config.maxRequestBytes() + " bytes");
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

  private ObjectNode object() {
    return mapper.createObjectNode();
  }

  private void error(HttpServerRequest req, int status, String code, String detail) {
    json(req, status, object().put("error", code).put("detail", detail == null ? "" : detail));
  }

  private void json(HttpServerRequest req, int status, JsonNode body) {
    if (!req.response().ended()) {
      req.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toString() + "\n");
    }
  }

  @Override
  public void close() {
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      LOG.warn("Vert.x did not close within 10 s");
    }
  }
}
