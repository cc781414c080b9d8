package dev.osprey.ingest;

import dev.osprey.core.event.RejectReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ingest counters on a registry passed in. In Prometheus they render as
 * {@code osprey_ingest_records_validated_total{topic}} and
 * {@code osprey_ingest_records_rejected_total{topic,reason}}; {@code topic} is the raw source topic.
 * Thread-safe (stream threads share it).
 */
public final class IngestMetrics {
  public static final String VALIDATED = "osprey.ingest.records.validated";
  public static final String REJECTED = "osprey.ingest.records.rejected";

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  public IngestMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  public MeterRegistry registry() {
    return registry;
  }

  void validated(String topic) {
    counters
        .computeIfAbsent(
            "v|" + topic,
            k -> Counter.builder(VALIDATED)
                .description("Raw records that passed validation")
                .tag("topic", topic)
                .register(registry))
        .increment();
  }

  void rejected(String topic, RejectReason reason) {
    counters
        .computeIfAbsent(
            "r|" + topic + "|" + reason.code(),
            k -> Counter.builder(REJECTED)
                .description("Raw records sent to the dead-letter topic")
                .tag("topic", topic)
                .tag("reason", reason.code())
                .register(registry))
        .increment();
  }
}
