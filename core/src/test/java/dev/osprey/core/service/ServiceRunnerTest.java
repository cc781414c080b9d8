package dev.osprey.core.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ServiceRunnerTest {
  /** Counts starts and closes. */
  private static final class CountingService implements OspreyService {
    final AtomicInteger starts = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    final ServiceStartException failure;

    CountingService(ServiceStartException failure) {
      this.failure = failure;
    }

    @Override
    public void start() throws ServiceStartException {
      starts.incrementAndGet();
      if (failure != null) {
        throw failure;
      }
    }

    @Override
    public Health health() {
      return Health.of(closes.get() > 0 ? Health.Status.CLOSED : Health.Status.READY);
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  @Test
  void runsUntilStoppedThenCloses() throws Exception {
    CountingService service = new CountingService(null);
    ServiceRunner runner = new ServiceRunner();
    AtomicInteger announced = new AtomicInteger();
    CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
      try {
        runner.run(service, "test", s -> announced.incrementAndGet());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> announced.get() == 1);
    assertFalse(run.isDone());
    assertEquals(0, service.closes.get());
    runner.stop();
    run.get();
    assertEquals(1, service.starts.get());
    assertEquals(1, service.closes.get());
  }

  @Test
  void aStartFailureClosesAndPropagates() {
    ServiceStartException boom = new ServiceStartException("no topics", null);
    CountingService service = new CountingService(boom);
    AtomicInteger announced = new AtomicInteger();
    ServiceStartException e = assertThrows(ServiceStartException.class,
        () -> new ServiceRunner().run(service, "test", s -> announced.incrementAndGet()));
    assertSame(boom, e);
    assertEquals(0, announced.get());
    assertEquals(1, service.closes.get());
  }

  @Test
  void healthSaysLiveAndReady() {
    assertEquals(true, Health.of(Health.Status.READY).ready());
    assertEquals(true, Health.of(Health.Status.UP).live());
    assertEquals(false, Health.of(Health.Status.UP).ready());
    assertEquals(false, new Health(Health.Status.DOWN, "fenced").live());
    assertEquals("", new Health(Health.Status.STARTING, null).detail());
  }
}
