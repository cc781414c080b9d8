package dev.osprey.inference;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits a batch's transaction while the prediction loop polls and scores the next batch. A commit
 * is mostly waiting for the broker (adding the offsets to the transaction, the commit's round
 * trips: about 40% of the loop's time when it waited for them itself); a transactional producer
 * runs one transaction at a time, so at most one is in flight and the loop waits for it before it
 * hands over the next one.
 *
 * <p>Exactly once is kept by the rule the loop follows: the offsets a transaction commits are
 * those of its own records, and when a transaction fails, its records and every record consumed
 * after them (the batch scored meanwhile, the buffer) are read again. Partitions taken away in a
 * rebalance wait for the transaction in flight first ({@link #awaitQuietly()} from the rebalance
 * callback), so a partition is never given up with its offsets still being committed.
 *
 * <p>Used by the prediction loop's thread only; the commit itself runs on the executor.
 */
final class CommitPipeline implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CommitPipeline.class);

  /** A transaction that finished: committed, or failed and aborted (its records are to be read again). */
  record Outcome(boolean committed, List<ConsumerRecord<String, byte[]>> consumed) {}

  private final TransactionalSink sink;
  private final Executor executor;
  private CompletableFuture<Boolean> inFlight;
  private List<ConsumerRecord<String, byte[]>> inFlightRecords;

  /**
   * @param executor runs the commits; a direct executor ({@code Runnable::run}) commits on the
   *     caller's thread, one batch after the other (tests step the loop that way). An
   *     {@link ExecutorService} is shut down on {@link #close()}.
   */
  CommitPipeline(TransactionalSink sink, Executor executor) {
    this.sink = sink;
    this.executor = executor;
  }

  /** An executor of one daemon thread for the commits of the loop {@code instance}. */
  static ExecutorService committerThread(String instance) {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "osprey-inference-commit-" + instance);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Looks up the output topics' metadata on the committer's thread ({@link TransactionalSink#lookUpTopics()}),
   * ahead of the first transaction; that one waits for it.
   */
  void lookUpTopics() {
    executor.execute(sink::lookUpTopics);
  }

  /**
   * Starts the transaction of one batch; none may be in flight ({@link #await()} first).
   *
   * @param consumed the batch's records, whose offsets the transaction commits
   */
  void submit(List<ConsumerRecord<String, byte[]>> consumed, List<TransactionalSink.Output> predictions,
      List<TransactionalSink.DeadLetter> deadLetters, ConsumerGroupMetadata group) {
    if (inFlight != null) {
      throw new IllegalStateException("a transaction is still in flight");
    }
    inFlightRecords = consumed;
    inFlight = CompletableFuture.supplyAsync(() -> sink.commit(consumed, predictions, deadLetters, group), executor);
  }

  /**
   * Waits for the transaction in flight and takes its outcome; null when none was in flight.
   *
   * @throws RuntimeException what made the producer unusable (e.g. fenced), as the sink threw it
   */
  Outcome await() {
    if (inFlight == null) {
      return null;
    }
    try {
      inFlight.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while a transaction was in flight", e);
    } catch (ExecutionException | CancellationException e) {
      // fall through: take() rethrows the cause
    }
    return take();
  }

  /** The outcome of the transaction in flight if it has finished, taken; null if none finished. */
  Outcome finished() {
    return inFlight != null && inFlight.isDone() ? take() : null;
  }

  /**
   * Waits until no transaction is in flight, leaving its outcome (and any failure) to be taken by
   * {@link #finished()} or {@link #await()}. For the rebalance callback, which must not throw.
   */
  void awaitQuietly() {
    if (inFlight == null) {
      return;
    }
    try {
      inFlight.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | CancellationException e) {
      // taken later
    }
  }

  private Outcome take() {
    CompletableFuture<Boolean> done = inFlight;
    List<ConsumerRecord<String, byte[]>> records = inFlightRecords;
    inFlight = null;
    inFlightRecords = null;
    try {
      return new Outcome(done.join(), records);
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException fatal) {
        throw fatal; // the loop stops on it (fenced, refused): as when it committed itself
      }
      throw e;
    }
  }

  /** Waits for the transaction in flight (its failure only logged: nothing of it is visible), then stops the executor. */
  @Override
  public void close() {
    try {
      Outcome last = await();
      if (last != null && !last.committed()) {
        LOG.info("the last transaction ({} records) failed at close; the group reads them again", last.consumed().size());
      }
    } catch (RuntimeException e) {
      LOG.warn("the last transaction failed at close: {}", e.toString());
    } finally {
      if (executor instanceof ExecutorService service) {
        service.shutdown();
        try {
          service.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
