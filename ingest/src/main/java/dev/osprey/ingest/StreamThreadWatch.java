package dev.osprey.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The uncaught-exception policy of ingest's stream threads, and the memory of how often it was
 * used: a dead thread is replaced (a transient failure must not stop the instance), except when
 * its source topic disappeared (a replacement would die the same way). A thread that keeps dying
 * is a failure even though the instance stays RUNNING: {@link #failing()} says so once
 * {@link #threshold} replacements fall within {@link #window}, and {@code /health} turns DOWN.
 * Replacements are counted in {@code osprey_ingest_stream_thread_replacements_total}. Thread-safe.
 */
final class StreamThreadWatch {
  static final String REPLACEMENTS = "osprey.ingest.stream.thread.replacements";
  static final Duration DEFAULT_WINDOW = Duration.ofMinutes(10);
  static final int DEFAULT_THRESHOLD = 3;

  private static final Logger LOG = LoggerFactory.getLogger(StreamThreadWatch.class);

  private final Duration window;
  private final int threshold;
  private final Clock clock;
  private final Counter replacements;
  private final Deque<Instant> recent = new ArrayDeque<>();
  private volatile Throwable lastFailure;

  StreamThreadWatch(MeterRegistry meters, Duration window, int threshold, Clock clock) {
    this.window = window;
    this.threshold = threshold;
    this.clock = clock;
    this.replacements = Counter.builder(REPLACEMENTS)
        .description("Ingest stream threads that died and were replaced")
        .register(meters);
  }

  StreamThreadWatch(MeterRegistry meters) {
    this(meters, DEFAULT_WINDOW, DEFAULT_THRESHOLD, Clock.systemUTC());
  }

  /** The Streams uncaught-exception handler. */
  StreamThreadExceptionResponse onUncaught(Throwable e) {
    lastFailure = e;
    if (e instanceof MissingSourceTopicException || e.getCause() instanceof MissingSourceTopicException) {
      LOG.error("ingest source topic disappeared; shutting the client down", e);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    int inWindow;
    synchronized (recent) {
      recent.addLast(clock.instant());
      inWindow = prune();
    }
    replacements.increment();
    LOG.error("ingest stream thread died ({} in the last {}); replacing it", inWindow, window, e);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /** Why the last thread died, or null. */
  Throwable lastFailure() {
    return lastFailure;
  }

  /** Replacements within the window now. */
  int recentReplacements() {
    synchronized (recent) {
      return prune();
    }
  }

  /** Why the instance counts as failing although it runs (threads keep dying), or null. */
  String failing() {
    int n = recentReplacements();
    if (n < threshold) {
      return null;
    }
    Throwable last = lastFailure;
    return "stream thread died and was replaced " + n + " times in the last " + window
        + (last == null ? "" : "; last: " + last);
  }

  private int prune() {
    Instant cutoff = clock.instant().minus(window);
    while (!recent.isEmpty() && recent.peekFirst().isBefore(cutoff)) {
      recent.removeFirst();
    }
    return recent.size();
  }
}
