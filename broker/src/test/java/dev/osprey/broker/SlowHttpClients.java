package dev.osprey.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Hostile HTTP clients for the services' servers: connections that never send anything, or stop
 * half-way through a request's headers or body and keep the socket open. Every socket is closed
 * by {@link #close}.
 */
public final class SlowHttpClients implements AutoCloseable {
  /** A GET whose headers never end. */
  public static final String HALF_HEADERS = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

  private final int port;
  private final List<Socket> sockets = new ArrayList<>();

  public SlowHttpClients(int port) {
    this.port = port;
  }

  /** A POST to {@code path} announcing 1,000 bytes of body and sending six. */
  public static String halfBody(String path) {
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        + "{\"id\":";
  }

  /** Opens a connection and sends {@code sent} (possibly nothing), then leaves it open. */
  public Socket connect(String sent) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    sockets.add(s);
    if (!sent.isEmpty()) {
      OutputStream out = s.getOutputStream();
      out.write(sent.getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
    return s;
  }

  /** {@code idle} silent connections and {@code halfSent} half-sent requests, alternating the two kinds. */
  public void open(int idle, int halfSent, String halfBodyPath) throws IOException {
    for (int i = 0; i < idle; i++) {
      connect("");
    }
    for (int i = 0; i < halfSent; i++) {
      connect(i % 2 == 0 ? HALF_HEADERS : halfBody(halfBodyPath));
    }
  }

  /**
   * GETs each path with a fresh client and a deadline of {@code within}.
   *
   * @return the slowest answer's seconds
   * @throws AssertionError if one is not 200 or takes longer
   */
  public double getAll(List<String> paths, Duration within) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(within).build();
    double slowest = 0;
    for (String path : paths) {
      long start = System.nanoTime();
      HttpResponse<String> res = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(within).build(), HttpResponse.BodyHandlers.ofString());
      double seconds = (System.nanoTime() - start) / 1e9;
      if (res.statusCode() != 200 || seconds >= within.toNanos() / 1e9) {
        throw new AssertionError(path + " answered " + res.statusCode() + " after " + seconds + " s");
      }
      slowest = Math.max(slowest, seconds);
    }
    return slowest;
  }

  /**
   * Reads until the server closes the connection (true) or 6 s pass (false); an answer is skipped
   * when {@code answered}, else anything but a close is a failure.
   */
  public static boolean closedByServer(Socket s, boolean answered) throws IOException {
    s.setSoTimeout(6000);
    InputStream in = s.getInputStream();
    byte[] buf = new byte[4096];
    try {
      while (in.read(buf) >= 0) {
        if (!answered) {
          return false;
        }
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
  }
}
