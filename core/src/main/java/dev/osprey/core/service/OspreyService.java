package dev.osprey.core.service;

/**
 * The one shape of an Osprey service: constructed from its typed config, the {@code Topics}, a
 * {@code MeterRegistry} and its dependencies (nothing runs yet); {@link #start()} returns once the
 * service runs or throws with the cause; {@link #close()} is idempotent and never throws;
 * {@link #health()} says whether it is alive and ready. {@link ServiceRunner} runs one until Ctrl-C.
 */
public interface OspreyService extends AutoCloseable {
  /**
   * Starts the service and returns once it runs.
   *
   * @throws ServiceStartException with the cause when it cannot run (a missing topic, a timeout, a
   *     port in use); what was started is closed again
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  void start() throws ServiceStartException;

  /** Alive and ready, or why not; cheap enough for a health endpoint. */
  Health health();

  /** Stops the service and frees what it holds; calling it again does nothing. */
  @Override
  void close();
}
