package dev.osprey.core.event;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * "Serve this version of this model from now on." Written to the compacted {@code osprey.models}
 * topic keyed by the model name, so the topic's latest record per name is the production version;
 * a starting service reads it and knows what to serve. Rolling back is activating an older version.
 *
 * @param schemaVersion event schema version; {@link EventCodec} rejects versions it does not know
 * @param modelName registry name of the model; the Kafka key
 * @param version registry version to serve, >= 1
 * @param activatedAt when the activation was decided, epoch milliseconds
 * @param actor who decided it ({@code cli:alice}, {@code http-admin}, {@code trainer})
 * @param reason free text: why (promotion gate passed, rollback, ...)
 * @param manifestSha256 SHA-256 of the version's {@code manifest.json} when the publisher knew it,
 *     or null; a service refuses a version whose manifest no longer has this hash
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelActivation(
    int schemaVersion, String modelName, int version, long activatedAt, String actor, String reason, String manifestSha256) {

  public static final int SCHEMA_VERSION = 1;

  public static ModelActivation of(String modelName, int version, long activatedAt, String actor, String reason) {
    return new ModelActivation(SCHEMA_VERSION, modelName, version, activatedAt, actor, reason, null);
  }

  public ModelActivation withManifestSha256(String sha256) {
    return new ModelActivation(schemaVersion, modelName, version, activatedAt, actor, reason, sha256);
  }
}
