package dev.osprey.inference;

import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where HTTP predict requests go: into the same micro-batches, on the same model, as the Kafka
 * records. The one thing the HTTP server needs of the prediction loop.
 */
interface PredictRequests {
  /**
   * Queues {@code samples} into the next batch. The future fails with {@link UnavailableException}
   * when no model serves, {@link RejectedSampleException} when a sample does not fit the model, or
   * an exception naming the engine failure.
   */
  CompletableFuture<List<Prediction>> submit(List<Sample> samples);

  /** The request cannot be served now (no model yet, or the loop stopped). */
  final class UnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnavailableException(String message) {
      super(message);
    }
  }

  /** A sample does not fit the model; {@code index} is its position in the request. */
  final class RejectedSampleException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient InvalidEventException reject;
    private final int index;

    RejectedSampleException(int index, InvalidEventException reject) {
      super("sample " + index + ": " + reject.detail());
      this.reject = reject;
      this.index = index;
    }

    InvalidEventException reject() {
      return reject;
    }

    int index() {
      return index;
    }
  }
}
