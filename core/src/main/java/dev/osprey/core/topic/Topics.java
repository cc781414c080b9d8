package dev.osprey.core.topic;

import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.RunTransition;
import dev.osprey.core.event.Sample;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The topic catalogue. Every topic is declared once here with its name and serdes. Names are
 * {@code <prefix>osprey.<name>}; the prefix (default empty) lets several deployments share a
 * cluster. Keys are sample ids (except {@code models}: the model name, {@code drift}:
 * {@code <modelName>/<detector>}, and {@code runs}: the run id), so the sample topics co-partition.
 *
 * <p>Raw topics carry bytes: they may hold anything a producer wrote, and ingest decides.
 */
public final class Topics {
  public static final String BASE = "osprey.";

  private final String prefix;
  private final Topic<String, byte[]> samplesRaw;
  private final Topic<String, Sample> samples;
  private final Topic<String, byte[]> feedbackRaw;
  private final Topic<String, Feedback> feedback;
  private final Topic<String, byte[]> dlq;
  private final Topic<String, Prediction> predictions;
  private final Topic<String, LabeledSample> labeled;
  private final Topic<String, Outcome> outcomes;
  private final Topic<String, DriftReport> drift;
  private final Topic<String, Explanation> explanations;
  private final Topic<String, ModelActivation> models;
  private final Topic<String, RunTransition> runs;

  /**
   * @param prefix prepended to every topic name; letters, digits, '.', '_' and '-' only
   * @throws IllegalArgumentException for an invalid prefix
   */
  public Topics(String prefix, EventCodec codec) {
    Objects.requireNonNull(codec, "codec");
    this.prefix = prefix == null ? "" : prefix;
    if (!this.prefix.matches("[A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException("topic prefix '" + prefix + "' may contain only [A-Za-z0-9._-]");
    }
    Serde<String> key = Serdes.String();
    Serde<byte[]> bytes = Serdes.ByteArray();
    samplesRaw = new Topic<>(name("samples.raw"), false, key, bytes);
    samples = new Topic<>(name("samples"), false, key, new JsonSerde<>(codec, Sample.class));
    feedbackRaw = new Topic<>(name("feedback.raw"), false, key, bytes);
    feedback = new Topic<>(name("feedback"), false, key, new JsonSerde<>(codec, Feedback.class));
    dlq = new Topic<>(name("dlq"), false, key, bytes);
    predictions = new Topic<>(name("predictions"), false, key, new JsonSerde<>(codec, Prediction.class));
    // Decoded strictly: an event the codec does not accept (an unknown schema version, a broken
    // invariant) fails deserialization with the codec's reason instead of being half-read.
    labeled = new Topic<>(name("labeled"), false, key, new JsonSerde<>(codec, LabeledSample.class, codec::decodeLabeledSample));
    outcomes = new Topic<>(name("outcomes"), false, key, new JsonSerde<>(codec, Outcome.class, codec::decodeOutcome));
    // Keyed by <modelName>/<detector> (DriftReport.key()), not by sample id.
    drift = new Topic<>(name("drift"), false, key, new JsonSerde<>(codec, DriftReport.class, codec::decodeDriftReport));
    explanations =
        new Topic<>(name("explanations"), false, key, new JsonSerde<>(codec, Explanation.class, codec::decodeExplanation));
    // Compacted: the latest record per key is the production model, read by every starting service.
    models = new Topic<>(name("models"), true, key, new JsonSerde<>(codec, ModelActivation.class));
    // The trainer's run log, keyed by run id; every record carries its run's whole state, so the
    // latest per key suffices and the topic is compacted. Only the trainer writes it.
    runs = new Topic<>(name("runs"), true, key, new JsonSerde<>(codec, RunTransition.class));
  }

  /** The default catalogue: no prefix. */
  public static Topics defaults() {
    return new Topics("", new EventCodec());
  }

  private String name(String suffix) {
    return prefix + BASE + suffix;
  }

  public String prefix() {
    return prefix;
  }

  public Topic<String, byte[]> samplesRaw() {
    return samplesRaw;
  }

  public Topic<String, Sample> samples() {
    return samples;
  }

  public Topic<String, byte[]> feedbackRaw() {
    return feedbackRaw;
  }

  public Topic<String, Feedback> feedback() {
    return feedback;
  }

  public Topic<String, byte[]> dlq() {
    return dlq;
  }

  public Topic<String, Prediction> predictions() {
    return predictions;
  }

  public Topic<String, LabeledSample> labeled() {
    return labeled;
  }

  public Topic<String, Outcome> outcomes() {
    return outcomes;
  }

  public Topic<String, DriftReport> drift() {
    return drift;
  }

  public Topic<String, Explanation> explanations() {
    return explanations;
  }

  /** Keyed by model name; the latest record per name is the version to serve. */
  public Topic<String, ModelActivation> models() {
    return models;
  }

  /** The retraining run log: one {@link RunTransition} per step of a run, keyed by run id (compacted). */
  public Topic<String, RunTransition> runs() {
    return runs;
  }

  /** Every topic, for the admin that creates them. */
  public List<Topic<?, ?>> all() {
    return List.of(samplesRaw, samples, feedbackRaw, feedback, dlq, predictions, labeled, outcomes, drift, explanations, models, runs);
  }
}
