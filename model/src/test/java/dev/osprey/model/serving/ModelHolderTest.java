package dev.osprey.model.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ModelHolderTest {

  private static LoadedModel model(int version, StubPredictor p) {
    return StubPredictor.loaded(version, p);
  }

  @Test
  void swapClosesTheOldModelOnlyAfterItsLastBatch() {
    ModelHolder holder = new ModelHolder();
    assertNull(holder.acquire());
    StubPredictor p1 = new StubPredictor();
    StubPredictor p2 = new StubPredictor();
    holder.swap(model(1, p1));

    LoadedModel inFlight = holder.acquire();
    assertEquals(1, inFlight.ref().version());
    holder.swap(model(2, p2));
    assertEquals(0, p1.closes.get(), "closed under a running batch");
    assertEquals(2, holder.acquire().ref().version());

    inFlight.release();
    assertEquals(1, p1.closes.get());
    assertTrue(inFlight.isClosed());
    assertFalse(inFlight.tryRetain(), "a closed model cannot be retained again");
    assertThrows(IllegalStateException.class, inFlight::release);
  }

  @Test
  void closeDropsTheCurrentModel() throws Exception {
    ModelHolder holder = new ModelHolder();
    StubPredictor p = new StubPredictor();
    LoadedModel m = model(3, p);
    holder.swap(m);
    assertTrue(holder.awaitModel(Duration.ofMillis(1)));
    assertSame(m, holder.peek());
    holder.close();
    assertEquals(1, p.closes.get());
    assertNull(holder.peek());
    assertFalse(holder.awaitModel(Duration.ofMillis(5)));
  }
}
