package dev.osprey.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counters of the label joins ({@link LabelJoinTopology}) on a registry passed in. In Prometheus:
 * <ul>
 *   <li>{@code osprey_join_joined_total{output}}: records written, {@code output} = {@code labeled}
 *       or {@code outcomes};
 *   <li>{@code osprey_join_labels_total{result}}: labels by what became of them, {@code result} =
 *       {@code first} (kept), {@code duplicate}, {@code conflicting} (both dead-lettered),
 *       {@code unmatched} (nothing met it within the window: dead-lettered), {@code invalid}
 *       (a class the prediction's model does not have: dead-lettered);
 *   <li>{@code osprey_join_unlabeled_total{kind}}: samples and predictions that left the window
 *       without a label, {@code kind} = {@code sample} or {@code prediction};
 *   <li>{@code osprey_join_label_delay_seconds{output}}: label time minus sample (or prediction)
 *       time, a summary with count and sum (negative when the label came first, so no histogram).
 * </ul>
 * Thread-safe (stream threads share it).
 */
public final class LabelJoinMetrics {
  public static final String JOINED = "osprey.join.joined";
  public static final String LABELS = "osprey.join.labels";
  public static final String UNLABELED = "osprey.join.unlabeled";
  public static final String LABEL_DELAY = "osprey.join.label.delay";

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, DistributionSummary> delays = new ConcurrentHashMap<>();

  public LabelJoinMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  void joined(String output, long delayMillis) {
    counter(JOINED, "output", output, "Records written by the label joins").increment();
    delays.computeIfAbsent(output, o -> DistributionSummary.builder(LABEL_DELAY)
            .description("Label time minus sample or prediction time")
            .baseUnit("seconds")
            .tag("output", o)
            .register(registry))
        .record(delayMillis / 1000.0);
  }

  void label(String result) {
    counter(LABELS, "result", result, "Labels by what became of them in the joins").increment();
  }

  void unlabeled(String kind) {
    counter(UNLABELED, "kind", kind, "Samples and predictions that left the join window without a label").increment();
  }

  private Counter counter(String name, String tag, String value, String description) {
    return counters.computeIfAbsent(name + "|" + value,
        k -> Counter.builder(name).description(description).tag(tag, value).register(registry));
  }
}
