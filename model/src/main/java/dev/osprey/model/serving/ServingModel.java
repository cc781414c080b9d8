package dev.osprey.model.serving;

import dev.osprey.core.event.ModelActivation;
import dev.osprey.model.registry.ModelRef;
import java.time.Instant;

/**
 * What a service serves now, for status pages and logs.
 *
 * @param runtime the runtime running it ({@code RuntimeKind#configName()})
 * @param requestedRuntime the runtime the service asked for
 * @param fallback runtime auto was requested and the CPU runs it
 * @param activation the activation that made it current
 */
public record ServingModel(ModelRef ref, String runtime, String requestedRuntime, String precision, boolean fallback,
    Instant loadedAt, ModelActivation activation) {

  static ServingModel of(LoadedModel m) {
    return new ServingModel(m.ref(), m.runtime().configName(), m.requestedRuntime().configName(), m.precision(),
        m.fellBack(), m.loadedAt(), m.activation());
  }
}
