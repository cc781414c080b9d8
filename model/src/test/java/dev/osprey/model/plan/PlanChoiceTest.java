package dev.osprey.model.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlanChoiceTest {
  private static PlanFigures f(String plan, double acc, double agree, double rate) {
    return new PlanFigures(plan, acc, agree, rate, rate * 0.9, 1000, List.of());
  }

  @Test
  void picksTheFastestPlanWithinTheBound() {
    PlanChoice c = PlanChoice.choose(List.of(
        f("fp32", 0.9870, 1.0, 10_000), f("int8", 0.9860, 0.9960, 25_000), f("int8-matmul", 0.9869, 0.999, 12_000)));
    assertEquals("int8", c.plan());
    assertTrue(c.reason().contains("2.50x fp32"), c.reason());
  }

  @Test
  void aFasterPlanOutsideTheAccuracyBoundIsRefusedAndNamed() {
    // 0.31 points lost: just outside the 0.3-point bound
    PlanChoice c = PlanChoice.choose(List.of(
        f("fp32", 0.9870, 1.0, 10_000), f("int8", 0.9839, 0.999, 30_000), f("int8-mixed", 0.9850, 0.998, 15_000)));
    assertEquals("int8-mixed", c.plan());
    assertTrue(c.reason().contains("outside the accuracy bound: int8"), c.reason());
  }

  @Test
  void lowAgreementIsRefusedEvenAtEqualAccuracy() {
    PlanChoice c = PlanChoice.choose(List.of(f("fp32", 0.98, 1.0, 10_000), f("int8", 0.98, 0.99, 30_000)));
    assertEquals("fp32", c.plan());
  }

  @Test
  void fp32IsChosenWhenItIsFastest() {
    assertEquals("fp32", PlanChoice.choose(List.of(f("fp32", 0.98, 1.0, 10_000), f("int8", 0.98, 1.0, 5_000))).plan());
  }

  @Test
  void theFiguresMustIncludeFp32() {
    assertThrows(IllegalArgumentException.class, () -> PlanChoice.choose(List.of(f("int8", 0.98, 1.0, 5_000))));
  }

  @Test
  void hostProfileKeepsTheFlagsThatMatter() {
    HostProfile h = HostProfile.parse("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse4_1 avx avx2 avx512f avx512_vnni ht\n\nprocessor : 1\nflags : avx\n", 2);
    assertEquals("AMD EPYC", h.cpuModel());
    assertEquals(java.util.Set.of("sse4_1", "avx", "avx2", "avx512f", "avx512_vnni"), h.flags());
    assertTrue(h.hasVnni());
    assertEquals("AMD EPYC [avx avx2 avx512_vnni avx512f sse4_1] x2", h.key());
  }
}
