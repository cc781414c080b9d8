package dev.osprey.explain.service;

import dev.osprey.core.event.Sample;
import dev.osprey.core.event.SamplePosition;
import dev.osprey.explain.sampling.SkipReason;

/**
 * Where the explain loop gets the sample a chosen prediction names: {@link SampleLookup} reads the
 * one record at the prediction's {@link SamplePosition} in {@code osprey.samples}. Used by one thread.
 */
public interface SampleSource extends AutoCloseable {
  /**
   * A lookup's result: the sample, or why there is none.
   *
   * @param sample the sample, or null
   * @param missing {@link SkipReason#SAMPLE_MISSING} (not at that position any more, or not read in
   *     time) or {@link SkipReason#INVALID_EVENT} (there, but not a valid sample with that id); null
   *     when found
   * @param detail what happened, for the log; null when found
   */
  record Found(Sample sample, SkipReason missing, String detail) {
    static Found of(Sample sample) {
      return new Found(sample, null, null);
    }

    static Found missing(SkipReason reason, String detail) {
      return new Found(null, reason, detail);
    }
  }

  /** The sample {@code sampleId} at {@code position}. */
  Found find(String sampleId, SamplePosition position);

  @Override
  void close();
}
