package dev.osprey.monitor.drift;

import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * One kind of two-sample test of a sliding window against one reference: it builds the live
 * statistic and simulates the no-drift case, from which {@link ThresholdCalibration} sets the
 * threshold. A simulated path draws its own bootstrap reference from the real one and its stream
 * from the real one too, so the simulation includes the reference's own sampling error, as the
 * live detector (a fixed finite reference against the true distribution) does.
 */
public interface DriftTest {

  /** Name used in reports and metrics, e.g. {@code bbsd-ks}. */
  String name();

  /** Observations in the window. */
  int windowSize();

  /** Whether {@code o} carries what this test reads (e.g. an embedding); others are skipped. */
  boolean accepts(Observation o);

  /** A live statistic against the real reference, its window prefilled with draws from {@code rnd}. */
  WindowStatistic start(SplittableRandom rnd);

  /** One simulated path with no drift: a statistic against a bootstrap reference and a stream. */
  NullPath simulate(SplittableRandom rnd);

  /** A statistic and the no-drift observations to feed it. */
  record NullPath(WindowStatistic statistic, Supplier<Observation> stream) {}
}
