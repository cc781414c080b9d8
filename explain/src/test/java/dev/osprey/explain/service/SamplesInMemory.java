package dev.osprey.explain.service;

import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.explain.sampling.SkipReason;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The samples topic as a map, for the loop's unit tests (the Kafka {@link SampleLookup} is tested
 * against the broker in {@code SampleLookupIT}): records every lookup.
 */
final class SamplesInMemory implements SampleSource {
  final Map<SamplePosition, Sample> byPosition = new ConcurrentHashMap<>();
  final List<String> lookedUp = new CopyOnWriteArrayList<>();

  @Override
  public Found find(String sampleId, SamplePosition position) {
    lookedUp.add(sampleId);
    Sample s = byPosition.get(position);
    if (s == null) {
      return Found.missing(SkipReason.SAMPLE_MISSING, "nothing at " + position);
    }
    return s.id().equals(sampleId) ? Found.of(s) : Found.missing(SkipReason.INVALID_EVENT, "another sample");
  }

  @Override
  public void close() {}
}
