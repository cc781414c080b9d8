package dev.osprey.core.event;

/**
 * A true label for a sample, as a labeler (human or system) reports it, possibly much later.
 *
 * @param schemaVersion event schema version
 * @param sampleId id of the labeled {@link Sample}; the Kafka key
 * @param label class index, 0-based, in the model's label order
 * @param source who labeled it (e.g. "annotator-7", "replay")
 * @param timestamp when the label was given, epoch milliseconds
 */
public record Feedback(int schemaVersion, String sampleId, int label, String source, long timestamp) {
  public static final int SCHEMA_VERSION = 1;

  public static Feedback of(String sampleId, int label, String source, long timestamp) {
    return new Feedback(SCHEMA_VERSION, sampleId, label, source, timestamp);
  }
}
