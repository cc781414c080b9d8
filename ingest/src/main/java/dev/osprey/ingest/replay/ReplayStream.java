package dev.osprey.ingest.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import dev.osprey.core.topic.Topics;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * The deterministic sequence of records a replay sends: a pure function of the config and dataset
 * (no clock, no I/O). For each sample index {@code i}: sample {@code i}, then the feedback due at
 * {@code i}, then the junk placed at {@code i}; after the last sample, the feedback still pending.
 *
 * <p>Which image is sample {@code i}: images in dataset order (wrapping around), skipping withheld
 * classes and classes under a skew; with probability {@code fraction} per active skew, the next image
 * of the skewed class instead.
 */
public final class ReplayStream implements Iterator<ReplayRecord> {
  public static final String FEEDBACK_SOURCE = "replay";

  private final ReplayConfig config;
  private final ImageDataset data;
  private final String samplesTopic;
  private final String feedbackTopic;
  private final ObjectMapper mapper;
  private final JunkRecords junk;
  private final int limit;
  // Independent streams, so that e.g. adding noise does not change which samples get feedback.
  private final Random pickRng;
  private final Random noiseRng;
  private final Random feedbackRng;
  private final int[][] byClass;
  private final int[] classCursor;
  private int mainCursor;
  private int index;
  private int junkSent;
  private final ArrayDeque<ReplayRecord> ready = new ArrayDeque<>();
  private final ArrayDeque<PendingFeedback> pending = new ArrayDeque<>();

  private record PendingFeedback(int due, String sampleId, int label) {}

  /**
   * @throws IllegalArgumentException if a skew or withhold names a class the dataset lacks
   */
  public ReplayStream(ReplayConfig config, ImageDataset data, Topics topics) {
    this.config = config;
    this.data = data;
    this.samplesTopic = topics.samplesRaw().name();
    this.feedbackTopic = topics.feedbackRaw().name();
    // Sorted map keys: attribute maps iterate in a per-JVM random order, the bytes must not.
    this.mapper = new EventCodec().mapper().copy().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    this.junk = new JunkRecords(mapper, config.junkTooLargeBytes());
    this.limit = config.limit() == 0 ? data.size() : config.limit();
    this.pickRng = new Random(config.seed());
    this.noiseRng = new Random(config.seed() ^ 0x5DEECE66DL);
    this.feedbackRng = new Random(config.seed() ^ 0x9E3779B97F4A7C15L);
    for (DriftSpec d : config.drifts()) {
      int label = d instanceof DriftSpec.Skew s ? s.label() : d instanceof DriftSpec.Withhold w ? w.label() : -1;
      if (label >= data.classes()) {
        throw new IllegalArgumentException(
            "drift '" + d.spec() + "': class " + label + " is not in " + data.name() + " (0.." + (data.classes() - 1) + ")");
      }
    }
    List<List<Integer>> lists = new ArrayList<>();
    for (int c = 0; c < data.classes(); c++) {
      lists.add(new ArrayList<>());
    }
    for (int i = 0; i < data.size(); i++) {
      lists.get(data.label(i)).add(i);
    }
    byClass = new int[data.classes()][];
    for (int c = 0; c < byClass.length; c++) {
      byClass[c] = lists.get(c).stream().mapToInt(Integer::intValue).toArray();
    }
    classCursor = new int[data.classes()];
  }

  /** Number of samples this stream sends. */
  public int sampleCount() {
    return limit;
  }

  /** Timestamp of sample {@code i}. */
  public long timestampOf(long i) {
    return config.startMillis() + (config.rate() > 0 ? (long) Math.floor(i * 1000.0 / config.rate()) : i);
  }

  @Override
  public boolean hasNext() {
    fill();
    return !ready.isEmpty();
  }

  @Override
  public ReplayRecord next() {
    fill();
    if (ready.isEmpty()) {
      throw new NoSuchElementException();
    }
    return ready.poll();
  }

  private void fill() {
    while (ready.isEmpty() && (index < limit || !pending.isEmpty())) {
      if (index < limit) {
        step(index++);
      } else {
        long ts = timestampOf(limit - 1L);
        while (!pending.isEmpty()) {
          ready.add(feedback(pending.poll(), ts));
        }
      }
    }
  }

  private void step(int i) {
    long ts = timestampOf(i);
    int img = pick(i);
    byte[] px = data.image(img);
    for (DriftSpec d : config.drifts()) {
      if (d instanceof DriftSpec.ImageShift shift && d.range().contains(i)) {
        px = shift.apply(px, data.rows(), data.cols(), noiseRng);
      }
    }
    String id = config.runId() + "-" + i;
    Sample sample = Sample.ofTensor(
        id, ts, Tensor.ofUint8(px, 1, data.rows(), data.cols()),
        Map.of("source", "replay", "dataset", config.dataset(), "run", config.runId()));
    byte[] bytes = encode(sample);
    ready.add(new ReplayRecord(ReplayRecord.Kind.SAMPLE, samplesTopic, id, bytes, ts, null));
    if (config.feedbackFraction() > 0 && feedbackRng.nextDouble() < config.feedbackFraction()) {
      pending.add(new PendingFeedback(i + config.feedbackDelay(), id, data.label(img)));
    }
    while (!pending.isEmpty() && pending.peek().due() <= i) {
      ready.add(feedback(pending.poll(), ts));
    }
    // Junk k goes right after sample floor(k * limit / junk): spread evenly, never before sample 0.
    while (junkSent < config.junk() && (long) junkSent * limit / config.junk() <= i) {
      ready.add(junk.make(junkSent++, samplesTopic, config.runId(), sample, bytes, ts));
    }
  }

  private ReplayRecord feedback(PendingFeedback p, long ts) {
    Feedback fb = Feedback.of(p.sampleId(), p.label(), FEEDBACK_SOURCE, ts);
    return new ReplayRecord(ReplayRecord.Kind.FEEDBACK, feedbackTopic, p.sampleId(), encode(fb), ts, null);
  }

  private int pick(int i) {
    double u = pickRng.nextDouble();
    boolean[] withheld = new boolean[data.classes()];
    boolean[] skewed = new boolean[data.classes()];
    for (DriftSpec d : config.drifts()) {
      if (d.range().contains(i) && d instanceof DriftSpec.Withhold w) {
        withheld[w.label()] = true;
      }
    }
    double acc = 0;
    int chosen = -1;
    for (DriftSpec d : config.drifts()) {
      if (d.range().contains(i) && d instanceof DriftSpec.Skew s && !withheld[s.label()]) {
        skewed[s.label()] = true;
        acc += s.fraction();
        if (chosen < 0 && u < acc && byClass[s.label()].length > 0) {
          chosen = s.label();
        }
      }
    }
    if (chosen >= 0) {
      int[] idx = byClass[chosen];
      return idx[classCursor[chosen]++ % idx.length];
    }
    for (int tries = 0; tries < data.size(); tries++) {
      int img = mainCursor++ % data.size();
      int label = data.label(img);
      if (!withheld[label] && !skewed[label]) {
        return img;
      }
    }
    throw new IllegalStateException(
        "sample " + i + ": every class of " + data.name() + " is withheld or skewed; nothing left to replay");
  }

  private byte[] encode(Object event) {
    try {
      return mapper.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + event.getClass().getSimpleName(), e);
    }
  }
}
