package dev.osprey.model.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.osprey.core.djl.DjlOfflineGuard;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TorchThreadsTest {

  @Test
  void theCountIsTheCallingThreadsAndNewThreadsTakeTheLastOneSet() throws InterruptedException {
    DjlOfflineGuard.install();
    int before = TorchThreads.current();
    try {
      TorchThreads.use(1);
      assertEquals(1, TorchThreads.current());
      assertEquals(1, onANewThread());
      TorchThreads.use(2);
      assertEquals(2, TorchThreads.current());
      assertEquals(2, onANewThread());
    } finally {
      TorchThreads.use(before);
    }
    assertEquals(before, TorchThreads.current());
  }

  private static int onANewThread() throws InterruptedException {
    AtomicInteger seen = new AtomicInteger();
    Thread other = new Thread(() -> seen.set(TorchThreads.current()));
    other.start();
    other.join();
    return seen.get();
  }

  @Test
  void zeroThreadsIsRefused() {
    DjlOfflineGuard.install();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchThreads.use(0));
    assertEquals("threads must be >= 1, got 0", e.getMessage());
  }
}
